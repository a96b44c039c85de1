package store

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// commitGroup merges the batches that concurrent callers send into one
// transaction: one round trip and one commit carry many, the way Postgres
// groups the commits of concurrent transactions, but without their
// per-transaction cost. A caller that finds no flush running sends what is
// queued, its own batch included; callers that come meanwhile are sent
// together by the next flush, which starts when this one ends. Alone, a
// batch goes at once, as it would without the group.
//
// Each caller's result is its own. When the database refuses a statement,
// which rolls the merged transaction back, the batch it belongs to goes
// again alone and the others go again together, so that only it fails. A
// batch's callbacks must therefore tolerate running twice: they assign
// what they read, never accumulate it. A batch must not begin its own
// transaction (pgx.Batch.BeginTx).
//
// Merged transactions lock rows in the order of the members' keys (their
// conversation), so that two of them never wait on each other in a cycle;
// and a group's transaction waits at most groupLockTimeout for a lock, so
// that a member blocked by a long transaction elsewhere holds up no other
// caller: it goes again alone, beside the group, and waits there.
//
// A Store has one group per kind of write, so that the latency-critical
// one (a user's message before the backend call) never waits behind the
// others.
type commitGroup struct {
	noWait bool // its transactions do not wait for the disk

	mu       sync.Mutex
	pending  []*groupedBatch
	flushing bool
	sent     int // transactions sent, merged or alone, for tests
}

type groupedBatch struct {
	key      uuid.UUID
	batch    *pgx.Batch
	err      error
	done     chan struct{}
	finished bool // only the goroutine sending it sets it
}

const (
	// groupTimeout bounds one transaction of a flush, which serves callers
	// other than the one running it and so does not stop when that
	// caller's context does.
	groupTimeout = 10 * time.Second
	// groupMaxQueries caps the statements of one flush, so that a burst
	// is carried by several transactions rather than one long one.
	groupMaxQueries = 512
	// groupLockTimeout is how long a group's transaction waits for a row
	// lock before the member waiting goes again alone, beside the group.
	groupLockTimeout = "1s"
	// lockNotAvailable is the SQLSTATE of a lock wait cut off by
	// lock_timeout.
	lockNotAvailable = "55P03"
)

// sendGrouped runs b as one transaction, merged with the batches other
// callers send through g at the same time; key orders the members of a
// merged transaction (the conversation b writes to). Inside a
// transaction of the caller's it runs there, alone.
//
// When ctx ends first, it returns ctx's error, and b may still be
// committed; a flush is bounded by groupTimeout per transaction.
func (s *Store) sendGrouped(ctx context.Context, g *commitGroup, key uuid.UUID, b *pgx.Batch) error {
	if _, inTx := s.db.(pgx.Tx); inTx {
		// Not shared, and not made no-wait: that setting would cover the
		// caller's whole transaction.
		return s.db.SendBatch(ctx, b).Close()
	}
	m := &groupedBatch{key: key, batch: b, done: make(chan struct{})}
	g.mu.Lock()
	g.pending = append(g.pending, m)
	leader := !g.flushing
	g.flushing = true
	g.mu.Unlock()
	if leader {
		s.flush(context.WithoutCancel(ctx), g)
	}
	select {
	case <-m.done: // an outcome known wins over a context that ended too
		return m.err
	default:
	}
	select {
	case <-m.done:
		return m.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flush sends what is queued, then hands over to a goroutine if more was
// queued meanwhile, so that the caller running it does not wait for
// batches that came after its own. A batch the database refused in the
// merged transaction goes again alone beside the group, so that one
// waiting there (for a lock, say) holds up nobody else.
func (s *Store) flush(ctx context.Context, g *commitGroup) {
	g.mu.Lock()
	n, queries := 0, 0
	for n < len(g.pending) && (n == 0 || queries+len(g.pending[n].batch.QueuedQueries) <= groupMaxQueries) {
		queries += len(g.pending[n].batch.QueuedQueries)
		n++
	}
	members := g.pending[:n:n]
	g.pending = append([]*groupedBatch(nil), g.pending[n:]...)
	g.mu.Unlock()

	handedOff := false
	defer func() {
		// A panic in a callback must not leave the group's callers, and
		// every later one, waiting for ever.
		if r := recover(); r != nil {
			for _, m := range members {
				m.finish(errors.New("store: a grouped write panicked"))
			}
			if !handedOff {
				s.handOff(ctx, g)
			}
			panic(r)
		}
	}()
	slices.SortStableFunc(members, func(a, b *groupedBatch) int { return bytes.Compare(a.key[:], b.key[:]) })
	refused := s.sendTogether(ctx, g, members)
	handedOff = true
	s.handOff(ctx, g)
	for _, m := range refused {
		go func() {
			_, err := s.sendMerged(ctx, g, []*groupedBatch{m}, false)
			m.finish(err)
		}()
	}
}

// handOff ends a flush: the group is idle again, or a goroutine sends
// what was queued meanwhile.
func (s *Store) handOff(ctx context.Context, g *commitGroup) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.pending) == 0 {
		g.flushing = false
		return
	}
	go s.flush(ctx, g)
}

// sendTogether sends members as one transaction and finishes each with
// its outcome. When the database refuses a statement, which rolls the
// transaction back, the member it belongs to is set aside and the others
// go again together. It returns the members set aside, unfinished.
func (s *Store) sendTogether(ctx context.Context, g *commitGroup, members []*groupedBatch) (refused []*groupedBatch) {
	for len(members) > 0 {
		culprit, err := s.sendMerged(ctx, g, members, true)
		var pgErr *pgconn.PgError
		lockWait := errors.As(err, &pgErr) && pgErr.Code == lockNotAvailable
		if (len(members) == 1 && !lockWait) || culprit < 0 || !errors.As(err, &pgErr) {
			// Committed; or not known to be rolled back (a connection
			// lost after the commit, a callback's own error): sending
			// again could write twice.
			for _, m := range members {
				m.finish(err)
			}
			return refused
		}
		refused = append(refused, members[culprit])
		members = slices.Delete(slices.Clone(members), culprit, culprit+1)
	}
	return refused
}

// finish gives m its outcome and wakes its caller, once.
func (m *groupedBatch) finish(err error) {
	if m.finished {
		return
	}
	m.finished = true
	m.err = err
	close(m.done)
}

// sendMerged sends the members' statements, in order, as one implicit
// transaction, and returns its error and, when a statement failed, the
// index of the member it belongs to (-1 otherwise). The statements are
// copies: a statement keeps what it learnt of the connection that ran it,
// and a batch that goes again may go on another one.
func (s *Store) sendMerged(ctx context.Context, g *commitGroup, members []*groupedBatch, lockTimeout bool) (culprit int, err error) {
	merged := &pgx.Batch{}
	if g.noWait {
		merged.Queue(`SELECT set_config('synchronous_commit', 'off', true)`)
	}
	if lockTimeout {
		merged.Queue(`SELECT set_config('lock_timeout', '` + groupLockTimeout + `', true)`)
	}
	current := -1
	for i, m := range members {
		for _, q := range m.batch.QueuedQueries {
			fn := q.Fn
			merged.QueuedQueries = append(merged.QueuedQueries, &pgx.QueuedQuery{SQL: q.SQL, Arguments: q.Arguments,
				Fn: func(br pgx.BatchResults) error {
					current = i
					if fn == nil {
						_, err := br.Exec()
						return err
					}
					return fn(br)
				}})
		}
	}
	g.mu.Lock()
	g.sent++
	g.mu.Unlock()
	tctx, cancel := context.WithTimeout(ctx, groupTimeout)
	defer cancel()
	if err := s.pool.SendBatch(tctx, merged).Close(); err != nil {
		return current, err
	}
	return -1, nil
}

// execNoWait runs one statement in a transaction that does not wait for
// the disk (synchronous_commit off), together with the other no-wait
// writes of the moment (see commitGroup); key is the row's conversation,
// or the row itself. It is for derived records a database crash may lose
// without losing anything a person wrote or was told is saved: a
// response's signed text, an answer's verdict.
func (s *Store) execNoWait(ctx context.Context, key uuid.UUID, sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	b := &pgx.Batch{}
	b.Queue(sql, args...).Exec(func(ct pgconn.CommandTag) error { tag = ct; return nil })
	if err := s.sendGrouped(ctx, s.groups.noWait, key, b); err != nil {
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
