package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ConfigurePool prepares every connection of a pool for the store: pgx
// then encodes uuid.UUID values as the 16 bytes they are. Without it pgx
// goes through their driver.Valuer, which formats each id as text and
// parses it back, on every query.
func ConfigurePool(cfg *pgxpool.Config) {
	next := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		RegisterTypes(conn.TypeMap())
		if next != nil {
			return next(ctx, conn)
		}
		return nil
	}
}

// RegisterTypes teaches a connection's type map to encode uuid.UUID and
// *uuid.UUID directly.
func RegisterTypes(m *pgtype.Map) {
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryWrapUUID}, m.TryWrapEncodePlanFuncs...)
}

func tryWrapUUID(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	switch u := value.(type) {
	case uuid.UUID:
		return &uuidEncodePlan{}, [16]byte(u), true
	case *uuid.UUID: // parent ids, current leaves: nil is NULL, taken care of before any plan
		if u != nil {
			return &uuidPtrEncodePlan{}, [16]byte(*u), true
		}
	}
	return nil, nil, false
}

// uuidEncodePlan hands a uuid.UUID on as a [16]byte.
type uuidEncodePlan struct{ next pgtype.EncodePlan }

func (p *uuidEncodePlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *uuidEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	return p.next.Encode([16]byte(value.(uuid.UUID)), buf)
}

// uuidPtrEncodePlan hands a *uuid.UUID on as a [16]byte.
type uuidPtrEncodePlan struct{ next pgtype.EncodePlan }

func (p *uuidPtrEncodePlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *uuidPtrEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	u := value.(*uuid.UUID)
	if u == nil {
		return nil, nil
	}
	return p.next.Encode([16]byte(*u), buf)
}
