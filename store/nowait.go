package store

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// noWaitQueue groups the no-wait statements of concurrent callers (each
// answer's verdict, each API response's signed text) into one round trip
// and one commit, the way Postgres groups commits: a caller that finds no
// flush running sends everything queued, including what others queued
// meanwhile; the others wait for their own result. Alone, a statement goes
// at once, as before; under load, one transaction carries many.
type noWaitQueue struct {
	mu       sync.Mutex
	pending  []*noWaitStmt
	flushing bool
}

type noWaitStmt struct {
	sql  string
	args []any
	tag  pgconn.CommandTag
	err  error
	done chan struct{}
}

// noWaitTimeout bounds one flush, which serves callers other than the one
// running it and so does not stop when that caller's context does.
const noWaitTimeout = 10 * time.Second

// execNoWait runs one statement in a transaction that does not wait for
// the disk (synchronous_commit off), together with the other no-wait
// statements queued at the same time. It is for derived records a
// database crash may lose without losing anything a person wrote or was
// told is saved: a response's signed text, an answer's verdict. Each
// statement's result is its own: one that fails does not fail the others.
func (s *Store) execNoWait(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if _, inTx := s.db.(pgx.Tx); inTx || s.noWait == nil {
		// The setting would cover the caller's whole transaction; and a
		// transaction is not shared with other callers.
		return execNoWaitBatch(ctx, s.db, []*noWaitStmt{{sql: sql, args: args}})
	}
	st := &noWaitStmt{sql: sql, args: args, done: make(chan struct{})}
	q := s.noWait
	q.mu.Lock()
	q.pending = append(q.pending, st)
	if q.flushing {
		q.mu.Unlock()
		select {
		case <-st.done:
			return st.tag, st.err
		case <-ctx.Done():
			return pgconn.CommandTag{}, ctx.Err() // it may still be written
		}
	}
	q.flushing = true
	q.mu.Unlock()
	s.flushNoWait(context.WithoutCancel(ctx))
	<-st.done
	return st.tag, st.err
}

// flushNoWait sends what is queued, once; if more was queued meanwhile, a
// goroutine carries on, so that the caller that started does not wait for
// statements that came after its own.
func (s *Store) flushNoWait(ctx context.Context) {
	q := s.noWait
	q.mu.Lock()
	batch := q.pending
	q.pending = nil
	q.mu.Unlock()
	fctx, cancel := context.WithTimeout(ctx, noWaitTimeout)
	_, err := execNoWaitBatch(fctx, s.pool, batch)
	if err != nil && len(batch) > 1 {
		// One statement failed and took the transaction with it: each
		// goes again on its own, so that only it fails.
		for _, st := range batch {
			st.tag, st.err = execNoWaitBatch(fctx, s.pool, []*noWaitStmt{st})
		}
	}
	cancel()
	for _, st := range batch {
		close(st.done)
	}
	q.mu.Lock()
	if len(q.pending) == 0 {
		q.flushing = false
		q.mu.Unlock()
		return
	}
	q.mu.Unlock()
	go s.flushNoWait(ctx)
}

// execNoWaitBatch sends stmts in one round trip as one transaction that
// does not wait for the disk, sets each one's tag and error, and returns
// the batch's error. With one statement, its tag is returned too.
func execNoWaitBatch(ctx context.Context, db querier, stmts []*noWaitStmt) (pgconn.CommandTag, error) {
	b := &pgx.Batch{}
	b.Queue(`SELECT set_config('synchronous_commit', 'off', true)`)
	for _, st := range stmts {
		b.Queue(st.sql, st.args...).Exec(func(ct pgconn.CommandTag) error { st.tag = ct; return nil })
	}
	err := db.SendBatch(ctx, b).Close()
	for _, st := range stmts {
		if err != nil {
			st.tag = pgconn.CommandTag{}
		}
		st.err = err
	}
	if len(stmts) == 1 {
		return stmts[0].tag, err
	}
	return pgconn.CommandTag{}, err
}
