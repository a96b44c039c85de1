package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"confidant/store"
)

// storedTexts returns the unsealed data of a connector's mail, sorted.
func storedTexts(t *testing.T, s *store.Store, pool *pgxpool.Pool, userID, connectorID uuid.UUID) []string {
	t.Helper()
	ctx := context.Background()
	rows, _ := pool.Query(ctx, `SELECT id FROM connector_mail WHERE connector_id = $1`, connectorID)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		t.Fatal(err)
	}
	items, err := s.MailByIDs(ctx, userID, ids)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range items {
		out = append(out, string(m.Data))
	}
	slices.Sort(out)
	return out
}

// TestConnectorResetSweep: after a Reset batch, the sweep that ends a
// completed sync deletes exactly the items stored before the reset and
// not stored again since; a sync cut off after the reset sweeps only when
// the resumed one completes; other connectors, another user's included,
// keep everything.
func TestConnectorResetSweep(t *testing.T) {
	s, pool := newStoreWithPool(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	c := mustConnector(t, s, alice.ID, "google")
	other := mustConnector(t, s, alice.ID, "microsoft")
	bobs := mustConnector(t, s, bob.ID, "google")
	now := time.Now().UTC()
	day := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	apply := func(userID, connectorID uuid.UUID, b store.ConnectorBatch) {
		t.Helper()
		if err := s.ApplyConnectorBatch(ctx, userID, connectorID, b, now); err != nil {
			t.Fatal(err)
		}
	}
	sweep := func(want int) {
		t.Helper()
		got, err := s.SweepConnector(ctx, alice.ID, c.ID, now)
		if err != nil || got != want {
			t.Fatalf("sweep removed %d (%v), want %d", got, err, want)
		}
	}
	items := func(connectorID uuid.UUID) int {
		t.Helper()
		return count(t, pool, "connector_mail", connectorID) + count(t, pool, "connector_events", connectorID)
	}

	everything := store.ConnectorBatch{
		Mail:   []store.NewMail{mail("m1", "one"), mail("m2", "two"), mail("m3", "three")},
		Events: []store.NewEvent{event("e1", day, "standup"), event("e2", day, "dentist"), event("e2", day.Add(24*time.Hour), "dentist")},
	}
	apply(alice.ID, c.ID, everything)
	apply(alice.ID, other.ID, everything)
	apply(bob.ID, bobs.ID, everything)
	sweep(0) // no reset: a completed sync deletes nothing

	// A full resync starts; the first page re-emits m1 and e1, then the
	// sync is cut off: nothing is swept yet.
	apply(alice.ID, c.ID, store.ConnectorBatch{Reset: true, Mail: []store.NewMail{mail("m1", "one again")},
		Events: []store.NewEvent{event("e1", day, "standup")}, Cursor: []byte("full, page 2")})
	if n := items(c.ID); n != 6 {
		t.Fatalf("%d items stored after a cut-off reset, want all 6 kept until the sync completes", n)
	}
	if _, err := s.SweepConnector(ctx, bob.ID, c.ID, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob sweeping alice's connector: %v", err)
	}
	if n := items(c.ID); n != 6 {
		t.Fatalf("bob's sweep of alice's connector deleted: %d items left", n)
	}

	// The resumed sync re-emits m2 and completes: m3 and both occurrences
	// of e2 go.
	apply(alice.ID, c.ID, store.ConnectorBatch{Mail: []store.NewMail{mail("m2", "two")}, Cursor: []byte("caught up")})
	sweep(3)
	if got := storedTexts(t, s, pool, alice.ID, c.ID); !slices.Equal(got, []string{`{"text":"one again"}`, `{"text":"two"}`}) {
		t.Errorf("mail after the sweep: %q", got)
	}
	evs, err := s.Events(ctx, alice.ID, day.Add(-time.Hour), day.Add(48*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	var mine []string
	for _, e := range evs {
		if e.ConnectorID == c.ID {
			mine = append(mine, string(e.Data))
		}
	}
	if !slices.Equal(mine, []string{`{"summary":"standup"}`}) {
		t.Errorf("events after the sweep: %q", mine)
	}
	if got, err := s.Connector(ctx, alice.ID, c.ID); err != nil || got.Items != 3 || string(got.Cursor) != "caught up" {
		t.Errorf("connector after the sweep: items %d, cursor %q, %v", got.Items, got.Cursor, err)
	}

	// The flag is cleared: later syncs without a reset keep what they do
	// not re-emit.
	sweep(0)
	apply(alice.ID, c.ID, store.ConnectorBatch{Mail: []store.NewMail{mail("m4", "four")}})
	sweep(0)
	if n := items(c.ID); n != 4 {
		t.Errorf("%d items after an incremental sync, want 4", n)
	}
	if items(other.ID) != 6 || items(bobs.ID) != 6 {
		t.Errorf("other connectors lost items: alice's other %d, bob's %d", items(other.ID), items(bobs.ID))
	}
}
