package store

import (
	"context"

	"github.com/jackc/pgx/v5/pgconn"
)

// ExecNoWait exposes execNoWait to the package's external tests.
func (s *Store) ExecNoWait(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return s.execNoWait(ctx, sql, args...)
}
