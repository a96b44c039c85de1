package connectors_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"confidant/connectors"
	"confidant/store"
)

// stepSource plays one scripted step per Sync call: the batches to apply,
// then the error to return.
type stepSource struct {
	mu    sync.Mutex
	steps []step
	calls int
}

type step struct {
	batches []connectors.Batch
	err     error
}

func (s *stepSource) Sync(ctx context.Context, _ []byte, sink connectors.Sink) error {
	s.mu.Lock()
	st := s.steps[min(s.calls, len(s.steps)-1)]
	s.calls++
	s.mu.Unlock()
	for _, b := range st.batches {
		if err := sink.Apply(ctx, b); err != nil {
			return err
		}
	}
	return st.err
}

// TestResetSweepsWhenTheSyncCompletes: the worker deletes what a full
// resync (first batch marked Reset) did not store again, and only once
// the sync completes: a try cut off after the Reset batch deletes
// nothing, the resumed try that completes sweeps.
func TestResetSweepsWhenTheSyncCompletes(t *testing.T) {
	t.Parallel()
	msgs := mailbox(3)
	src := &stepSource{steps: []step{
		{batches: []connectors.Batch{{Mail: msgs, Cursor: []byte("incremental")}}},
		{batches: []connectors.Batch{{Reset: true, Mail: msgs[:1], Cursor: []byte("full, page 2")}},
			err: &connectors.Error{Code: "unreachable", Message: "The server closed the connection.", Retry: true}},
		{batches: []connectors.Batch{{Mail: msgs[1:2], Cursor: []byte("incremental again")}}},
	}}
	h := newHarness(t, src, connectors.Options{RetryDelay: time.Hour, MinInterval: time.Millisecond})
	c := h.connect(t)
	if got := h.waitFor(t, c.ID, "first sync", idle); got.Items != 3 {
		t.Fatalf("items after the first sync = %d", got.Items)
	}
	h.waitJobsDone(t)

	if err := h.svc.Sync(context.Background(), h.user, c.ID); err != nil {
		t.Fatal(err)
	}
	h.waitFor(t, c.ID, "the cut-off resync", func(c connectors.Connection) bool { return c.Status == store.ConnectorError })
	if n := h.rows(t, "connector_mail", c.ID); n != 3 {
		t.Fatalf("%d messages stored after a cut-off resync, want all 3 until it completes", n)
	}
	h.waitJobsDone(t)

	if err := h.svc.Sync(context.Background(), h.user, c.ID); err != nil {
		t.Fatal(err)
	}
	done := h.waitFor(t, c.ID, "the resumed resync", idle)
	if done.Items != 2 || h.rows(t, "connector_mail", c.ID) != 2 {
		t.Fatalf("after the resync: items %d, rows %d; want 2", done.Items, h.rows(t, "connector_mail", c.ID))
	}
	for _, want := range []struct {
		subject string
		kept    bool
	}{{msgs[0].Subject, true}, {msgs[1].Subject, true}, {msgs[2].Subject, false}} {
		found, err := h.svc.SearchMail(context.Background(), h.user, want.subject, 5)
		if err != nil {
			t.Fatal(err)
		}
		kept := false
		for _, m := range found {
			kept = kept || m.Subject == want.subject
		}
		if kept != want.kept {
			t.Errorf("%q kept = %v, want %v", want.subject, kept, want.kept)
		}
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	if src.calls != 3 {
		t.Errorf("%d sync calls, want 3", src.calls)
	}
}
