package chat

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Viewers of an answer that another replica is writing learn of its
// commits through Postgres LISTEN/NOTIFY (DESIGN.md, Scale): this process
// keeps one listening connection and wakes the viewers waiting here. The
// writer notifies only while a viewer is registered (store.FollowAnswer),
// and viewers still poll now and then, so a lost notification or a
// dropped listener costs latency, never data.

// followTTL is how long one registration as a viewer lasts; viewers renew
// it at half-time.
const followTTL = time.Minute

// wakeups routes answer notifications to the viewers waiting in this process.
type wakeups struct {
	mu      sync.Mutex
	waiters map[uuid.UUID]map[chan struct{}]struct{}
}

func newWakeups() *wakeups {
	return &wakeups{waiters: map[uuid.UUID]map[chan struct{}]struct{}{}}
}

// subscribe returns a channel that receives after each commit of the
// answer id, and the function that ends the subscription.
func (w *wakeups) subscribe(id uuid.UUID) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	if w.waiters[id] == nil {
		w.waiters[id] = map[chan struct{}]struct{}{}
	}
	w.waiters[id][ch] = struct{}{}
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		delete(w.waiters[id], ch)
		if len(w.waiters[id]) == 0 {
			delete(w.waiters, id)
		}
		w.mu.Unlock()
	}
}

// wake tells every viewer of answer id to look again; a viewer that has
// not looked since the last wake-up is not woken twice.
func (w *wakeups) wake(id uuid.UUID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for ch := range w.waiters[id] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// listen keeps a LISTEN connection open until ctx ends, reconnecting
// with growing pauses when the database goes away.
func (s *Service) listen(ctx context.Context) {
	delay := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.store.ListenAnswers(ctx, func() { delay = 100 * time.Millisecond }, s.wakes.wake)
		if err == nil || ctx.Err() != nil {
			return
		}
		s.opt.Log.Warn("listening for answer commits failed; viewers poll until it is back", "err", err, "retry_in", delay)
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return
		}
		delay = min(delay*2, 10*time.Second)
	}
}

// following registers this replica as a viewer of answer id in the
// database and subscribes to its wake-ups. The returned channel receives
// after each commit; renew must be called on every loop of the viewer (it
// re-registers at half-time); done ends both.
func (s *Service) following(ctx context.Context, id uuid.UUID) (wake <-chan struct{}, renew func(), done func()) {
	ch, unsubscribe := s.wakes.subscribe(id)
	var renewAt time.Time
	renew = func() {
		if time.Now().Before(renewAt) {
			return
		}
		if err := s.store.FollowAnswer(ctx, id, s.replica, followTTL); err != nil {
			s.opt.Log.Warn("registering as a viewer of an answer failed; polling", "err", err)
			renewAt = time.Now().Add(s.opt.FollowPoll)
			return
		}
		renewAt = time.Now().Add(followTTL / 2)
	}
	renew()
	return ch, renew, func() {
		unsubscribe()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := s.store.UnfollowAnswer(ctx, id, s.replica); err != nil {
			s.opt.Log.Warn("unregistering as a viewer of an answer failed; the row expires", "err", err)
		}
	}
}
