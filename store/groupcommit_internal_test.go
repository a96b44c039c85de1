package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
)

// ExecNoWait exposes execNoWait to the package's external tests.
func (s *Store) ExecNoWait(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return s.execNoWait(ctx, uuid.Nil, sql, args...)
}

// GroupTransactions counts the transactions the store's commit groups
// have sent, merged or alone, each carrying one or more callers' writes.
func (s *Store) GroupTransactions() int {
	n := 0
	for _, g := range []*commitGroup{s.groups.starts, s.groups.ends, s.groups.noWait} {
		g.mu.Lock()
		n += g.sent
		g.mu.Unlock()
	}
	return n
}
