package chat

import (
	"context"
	"strings"
	"sync"

	"github.com/google/uuid"
)

// Snapshot is the state of an answer at one moment.
type Snapshot struct {
	Content   string
	Status    string // store.Status*
	ErrorCode string
	Version   int // grows with every change; viewers resume from it
}

// live is an answer being generated in this process.
type live struct {
	userID uuid.UUID
	cancel context.CancelFunc

	mu      sync.Mutex
	stopped bool
	content strings.Builder
	snap    Snapshot
	changed chan struct{} // closed on every change, then replaced
}

func newLive(userID uuid.UUID, cancel context.CancelFunc, status string) *live {
	return &live{userID: userID, cancel: cancel, snap: Snapshot{Status: status}, changed: make(chan struct{})}
}

// append adds a delta and wakes every viewer.
func (l *live) append(delta string) {
	l.mu.Lock()
	l.content.WriteString(delta)
	l.snap.Content = l.content.String()
	l.snap.Version++
	l.wake()
	l.mu.Unlock()
}

// finish records the final state and wakes every viewer.
func (l *live) finish(status, errorCode string) {
	l.mu.Lock()
	l.snap.Status, l.snap.ErrorCode = status, errorCode
	l.snap.Version++
	l.wake()
	l.mu.Unlock()
}

func (l *live) wake() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// stop cancels the generation at the owner's request.
func (l *live) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
	l.cancel()
}

// wasStopped reports whether the owner stopped the answer.
func (l *live) wasStopped() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stopped
}

// get returns the current snapshot and a channel closed at the next change.
func (l *live) get() (Snapshot, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.snap, l.changed
}

// hub indexes the answers this process is generating by message id.
type hub struct {
	mu    sync.Mutex
	items map[uuid.UUID]*live
}

func newHub() *hub { return &hub{items: map[uuid.UUID]*live{}} }

func (h *hub) add(id uuid.UUID, l *live) {
	h.mu.Lock()
	h.items[id] = l
	h.mu.Unlock()
}

func (h *hub) get(id uuid.UUID) (*live, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	l, ok := h.items[id]
	return l, ok
}

func (h *hub) remove(id uuid.UUID) {
	h.mu.Lock()
	delete(h.items, id)
	h.mu.Unlock()
}
