package store

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// commitGroup merges the batches that concurrent callers send into one
// transaction: one round trip and one commit carry many, the way Postgres
// groups the commits of concurrent transactions, but without their
// per-transaction cost. A caller that finds no flush running sends what is
// queued, its own batch first; callers that come meanwhile are sent
// together by the next flush, which starts when this one ends. Alone, a
// batch goes at once, as it would without the group.
//
// Each caller's result is its own: when one batch makes the merged
// transaction fail, every batch of that flush goes again alone, so that
// only it fails. A batch's callbacks must therefore tolerate running
// twice (they do when they only assign what they read).
//
// A Store has one group per kind of write, so that the latency-critical
// one (a user's message before the backend call) never waits behind the
// others.
type commitGroup struct {
	noWait bool // its transactions do not wait for the disk

	mu       sync.Mutex
	pending  []*groupedBatch
	flushing bool
	flushes  int // merged transactions sent, for tests
}

type groupedBatch struct {
	batch *pgx.Batch
	err   error
	done  chan struct{}
}

const (
	// groupTimeout bounds one flush, which serves callers other than the
	// one running it and so does not stop when that caller's context does.
	groupTimeout = 10 * time.Second
	// groupMaxQueries caps the statements of one flush, so that a burst
	// is carried by several transactions rather than one long one.
	groupMaxQueries = 512
)

// sendGrouped runs b as one transaction, merged with the batches other
// callers send through g at the same time. Inside a transaction of the
// caller's it runs there, alone. It waits for the outcome even when ctx
// ends, so that a caller never reports a failure for what was committed;
// a flush is bounded by groupTimeout.
func (s *Store) sendGrouped(ctx context.Context, g *commitGroup, b *pgx.Batch) error {
	if _, inTx := s.db.(pgx.Tx); inTx {
		// Not shared, and not made no-wait: that setting would cover the
		// caller's whole transaction.
		return s.db.SendBatch(ctx, b).Close()
	}
	m := &groupedBatch{batch: b, done: make(chan struct{})}
	g.mu.Lock()
	g.pending = append(g.pending, m)
	if g.flushing {
		g.mu.Unlock()
		<-m.done
		return m.err
	}
	g.flushing = true
	g.mu.Unlock()
	s.flush(g)
	<-m.done
	return m.err
}

// flush sends one merged transaction of what is queued, then hands over
// to a goroutine if more was queued meanwhile, so that the caller running
// it does not wait for batches that came after its own.
func (s *Store) flush(g *commitGroup) {
	g.mu.Lock()
	n, queries := 0, 0
	for n < len(g.pending) && (n == 0 || queries+len(g.pending[n].batch.QueuedQueries) <= groupMaxQueries) {
		queries += len(g.pending[n].batch.QueuedQueries)
		n++
	}
	members := g.pending[:n:n]
	g.pending = append([]*groupedBatch(nil), g.pending[n:]...)
	g.flushes++
	g.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	err := s.sendMerged(ctx, g.noWait, members)
	for _, m := range members {
		m.err = err
	}
	if err != nil && len(members) > 1 {
		for _, m := range members {
			m.err = s.sendMerged(ctx, g.noWait, []*groupedBatch{m})
		}
	}
	cancel()
	for _, m := range members {
		close(m.done)
	}

	g.mu.Lock()
	if len(g.pending) == 0 {
		g.flushing = false
		g.mu.Unlock()
		return
	}
	g.mu.Unlock()
	go s.flush(g)
}

// sendMerged sends the members' statements, in order, as one implicit
// transaction. The statements are copies: a statement keeps what it
// learnt of the connection that ran it, and a batch that goes again may
// go on another one.
func (s *Store) sendMerged(ctx context.Context, noWait bool, members []*groupedBatch) error {
	merged := &pgx.Batch{}
	if noWait {
		merged.Queue(`SELECT set_config('synchronous_commit', 'off', true)`)
	}
	for _, m := range members {
		for _, q := range m.batch.QueuedQueries {
			merged.QueuedQueries = append(merged.QueuedQueries, &pgx.QueuedQuery{SQL: q.SQL, Arguments: q.Arguments, Fn: q.Fn})
		}
	}
	return s.pool.SendBatch(ctx, merged).Close()
}

// execNoWait runs one statement in a transaction that does not wait for
// the disk (synchronous_commit off), together with the other no-wait
// writes of the moment (see commitGroup). It is for derived records a
// database crash may lose without losing anything a person wrote or was
// told is saved: a response's signed text, an answer's verdict.
func (s *Store) execNoWait(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	b := &pgx.Batch{}
	b.Queue(sql, args...).Exec(func(ct pgconn.CommandTag) error { tag = ct; return nil })
	if err := s.sendGrouped(ctx, s.groups.noWait, b); err != nil {
		return pgconn.CommandTag{}, err
	}
	return tag, nil
}

// commitGroups are a Store's groups, one per kind of write.
type commitGroups struct {
	starts *commitGroup // a user's message and the answer it starts: before the backend call
	ends   *commitGroup // an answer's end state and index entries
	noWait *commitGroup // derived records and streaming batches: no wait for the disk
}

func newCommitGroups() commitGroups {
	return commitGroups{starts: &commitGroup{}, ends: &commitGroup{}, noWait: &commitGroup{noWait: true}}
}
