package store

import (
	"context"

	"github.com/jackc/pgx/v5/pgconn"
)

// ExecNoWait exposes execNoWait to the package's external tests.
func (s *Store) ExecNoWait(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return s.execNoWait(ctx, sql, args...)
}

// GroupFlushes counts the transactions the store's commit groups have
// sent, each carrying one or more callers' writes.
func (s *Store) GroupFlushes() int {
	n := 0
	for _, g := range []*commitGroup{s.groups.starts, s.groups.ends, s.groups.noWait} {
		g.mu.Lock()
		n += g.flushes
		g.mu.Unlock()
	}
	return n
}
