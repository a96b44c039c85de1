package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"confidant/inference/simbackend"
	"confidant/internal/testdb"
	"confidant/store"
)

// newStoreWithPool is newStore with the pool, for counting rows.
func newStoreWithPool(t *testing.T) (*store.Store, *pgxpool.Pool) {
	t.Helper()
	t.Parallel()
	pool := testdb.New(t)
	kr, reg := testdb.Keys(t)
	return store.New(pool, kr, reg), pool
}

func mustConnector(t *testing.T, s *store.Store, userID uuid.UUID, kind string) store.Connector {
	t.Helper()
	id, _ := uuid.NewV7()
	c := store.Connector{ID: id, UserID: userID, Kind: kind, Name: "alice on mail.example.org",
		Settings: []byte(`{"kind":"` + kind + `","password":"hunter2"}`), CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if err := s.CreateConnector(context.Background(), c, nil); err != nil {
		t.Fatal(err)
	}
	return c
}

func mail(resource, text string) store.NewMail {
	return store.NewMail{Resource: resource, Data: []byte(`{"text":"` + text + `"}`), IndexText: text, Embedding: simbackend.Embed(text)}
}

func event(resource string, start time.Time, summary string) store.NewEvent {
	return store.NewEvent{Resource: resource, Start: start, End: start.Add(time.Hour), Data: []byte(`{"summary":"` + summary + `"}`), IndexText: summary}
}

func count(t *testing.T, pool *pgxpool.Pool, table string, connectorID uuid.UUID) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), fmt.Sprintf(`SELECT count(*) FROM %s WHERE connector_id = $1`, table), connectorID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConnectorApplyBatch(t *testing.T) {
	s, pool := newStoreWithPool(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	c := mustConnector(t, s, alice.ID, "imap")
	now := time.Now().UTC()
	day := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

	first := store.ConnectorBatch{
		Mail:   []store.NewMail{mail("INBOX/1/1", "invoice for the garden shed"), mail("INBOX/1/2", "dinner on friday")},
		Events: []store.NewEvent{event("cal/standup.ics", day, "standup"), event("cal/standup.ics", day.Add(24*time.Hour), "standup")},
		Cursor: []byte("cursor-1"), ProgressDone: 2, ProgressTotal: 4,
	}
	for range 2 { // applying the same batch again stores nothing twice
		if err := s.ApplyConnectorBatch(ctx, alice.ID, c.ID, first, now); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Connector(ctx, alice.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Items != 4 || string(got.Cursor) != "cursor-1" || got.ProgressDone != 2 || got.ProgressTotal != 4 || got.Status != store.ConnectorSyncing {
		t.Fatalf("after first batch: %+v", got)
	}
	if n := count(t, pool, "connector_mail", c.ID); n != 2 {
		t.Fatalf("mail rows = %d, want 2", n)
	}
	hits, err := s.SearchMailKeywords(ctx, alice.ID, "garden invoice", 10)
	if err != nil || len(hits) != 1 {
		t.Fatalf("keyword hits = %v, %v", hits, err)
	}
	firstID := hits[0].ID

	// An update of the same message keeps its id; a recurring event's
	// occurrences are replaced as a whole; a removed resource goes.
	second := store.ConnectorBatch{
		Mail:    []store.NewMail{mail("INBOX/1/1", "invoice for the garden shed, paid")},
		Events:  []store.NewEvent{event("cal/standup.ics", day.Add(2*time.Hour), "standup moved")},
		Removed: []string{"INBOX/1/2"},
		// No cursor: the stored one stays.
		ProgressDone: 4, ProgressTotal: 4,
	}
	if err := s.ApplyConnectorBatch(ctx, alice.ID, c.ID, second, now); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Connector(ctx, alice.ID, c.ID)
	if got.Items != 2 || string(got.Cursor) != "cursor-1" || got.ProgressDone != 4 {
		t.Fatalf("after second batch: %+v", got)
	}
	items, err := s.MailByIDs(ctx, alice.ID, []uuid.UUID{firstID})
	if err != nil || string(items[firstID].Data) != `{"text":"invoice for the garden shed, paid"}` {
		t.Fatalf("updated mail = %+v, %v", items, err)
	}
	if hits, _ := s.SearchMailKeywords(ctx, alice.ID, "dinner", 10); len(hits) != 0 {
		t.Fatalf("removed mail still found: %v", hits)
	}
	vec, err := s.SearchMailVectors(ctx, alice.ID, simbackend.Embed("garden shed invoice"), 5)
	if err != nil || len(vec) != 1 || vec[0].ID != firstID {
		t.Fatalf("vector hits = %v, %v", vec, err)
	}
	evs, err := s.Events(ctx, alice.ID, day.Add(-time.Hour), day.Add(48*time.Hour), 100)
	if err != nil || len(evs) != 1 || string(evs[0].Data) != `{"summary":"standup moved"}` || !evs[0].Start.Equal(day.Add(2*time.Hour)) || evs[0].ConnectorID != c.ID {
		t.Fatalf("events = %+v, %v", evs, err)
	}
}

func TestConnectorEventsRange(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	c := mustConnector(t, s, alice.ID, "caldav")
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var evs []store.NewEvent
	for i := range 10 {
		evs = append(evs, event(fmt.Sprintf("e%d", i), day.Add(time.Duration(i)*24*time.Hour), fmt.Sprintf("day %d", i)))
	}
	if err := s.ApplyConnectorBatch(ctx, alice.ID, c.ID, store.ConnectorBatch{Events: evs}, time.Now()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		from, to time.Time
		limit    int
		want     []string
	}{
		{"one day", day.Add(48 * time.Hour), day.Add(72 * time.Hour), 100, []string{"day 2"}},
		{"overlap at the start", day.Add(48*time.Hour + 30*time.Minute), day.Add(50 * time.Hour), 100, []string{"day 2"}},
		{"end is exclusive", day.Add(24*time.Hour - time.Hour), day.Add(24 * time.Hour), 100, nil},
		{"by start, limited", day, day.Add(240 * time.Hour), 3, []string{"day 0", "day 1", "day 2"}},
		{"before everything", day.Add(-48 * time.Hour), day, 100, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Events(ctx, alice.ID, tt.from, tt.to, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range got {
				names = append(names, string(e.Data[len(`{"summary":"`):len(e.Data)-2]))
			}
			if fmt.Sprint(names) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", names, tt.want)
			}
		})
	}
}

func TestConnectorOwnerChecks(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	c := mustConnector(t, s, alice.ID, "imap")
	if err := s.ApplyConnectorBatch(ctx, alice.ID, c.ID, store.ConnectorBatch{Mail: []store.NewMail{mail("m1", "secret plans")}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	checks := map[string]error{
		"get":      func() error { _, err := s.Connector(ctx, bob.ID, c.ID); return err }(),
		"delete":   s.DeleteConnector(ctx, bob.ID, c.ID),
		"apply":    s.ApplyConnectorBatch(ctx, bob.ID, c.ID, store.ConnectorBatch{Mail: []store.NewMail{mail("m2", "x")}}, now),
		"failed":   s.ConnectorFailed(ctx, bob.ID, c.ID, "auth_failed", "no", false, now),
		"synced":   s.ConnectorSynced(ctx, bob.ID, c.ID, now),
		"syncing":  s.ConnectorSyncing(ctx, bob.ID, c.ID, now),
		"settings": s.SetConnectorSettings(ctx, bob.ID, c.ID, []byte(`{}`), now),
	}
	for name, err := range checks {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s as another user: %v, want ErrNotFound", name, err)
		}
	}
	if list, err := s.Connectors(ctx, bob.ID); err != nil || len(list) != 0 {
		t.Fatalf("bob's connectors = %v, %v", list, err)
	}
	if hits, _ := s.SearchMailKeywords(ctx, bob.ID, "secret plans", 10); len(hits) != 0 {
		t.Fatalf("bob finds alice's mail: %v", hits)
	}
	hits, _ := s.SearchMailKeywords(ctx, alice.ID, "secret plans", 10)
	if len(hits) != 1 {
		t.Fatalf("alice's hits = %v", hits)
	}
	if items, _ := s.MailByIDs(ctx, bob.ID, []uuid.UUID{hits[0].ID}); len(items) != 0 {
		t.Fatalf("bob reads alice's mail: %v", items)
	}
	if got, err := s.Connector(ctx, alice.ID, c.ID); err != nil || got.Items != 1 || got.Status != store.ConnectorSyncing {
		t.Fatalf("alice's connector changed by bob: %+v %v", got, err)
	}
}

func TestConnectorStatusAndDue(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	now := time.Now().UTC().Truncate(time.Microsecond)
	fresh := mustConnector(t, s, alice.ID, "imap")
	stale := mustConnector(t, s, alice.ID, "imap")
	broken := mustConnector(t, s, alice.ID, "imap")
	flaky := mustConnector(t, s, alice.ID, "caldav")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.ConnectorSynced(ctx, alice.ID, fresh.ID, now))
	must(s.ConnectorSynced(ctx, alice.ID, stale.ID, now.Add(-time.Hour)))
	must(s.ConnectorFailed(ctx, alice.ID, broken.ID, "auth_failed", "The server refused the password.", false, now))
	must(s.ConnectorFailed(ctx, alice.ID, flaky.ID, "unreachable", "The server did not answer.", true, now))
	got, _ := s.Connector(ctx, alice.ID, broken.ID)
	if got.Status != store.ConnectorError || got.ErrorCode != "auth_failed" || got.Error != "The server refused the password." || got.ErrorRetry || got.LastErrorAt == nil {
		t.Fatalf("broken = %+v", got)
	}
	due, err := s.ConnectorsDue(ctx, now.Add(-15*time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uuid.UUID
	for _, r := range due {
		ids = append(ids, r.ID)
	}
	// flaky never synced (first), stale synced an hour ago; fresh is
	// recent and broken waits for its owner.
	if fmt.Sprint(ids) != fmt.Sprint([]uuid.UUID{flaky.ID, stale.ID}) {
		t.Fatalf("due = %v, want flaky then stale", ids)
	}
	must(s.ConnectorSynced(ctx, alice.ID, broken.ID, now))
	if got, _ := s.Connector(ctx, alice.ID, broken.ID); got.Status != store.ConnectorIdle || got.Error != "" || got.ErrorCode != "" || got.LastSync == nil {
		t.Fatalf("after a good sync: %+v", got)
	}
}

func TestConnectorDeleteCascades(t *testing.T) {
	s, pool := newStoreWithPool(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	day := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	batch := store.ConnectorBatch{Mail: []store.NewMail{mail("m", "hello")}, Events: []store.NewEvent{event("e", day, "lunch")}}
	disconnected := mustConnector(t, s, alice.ID, "imap")
	kept := mustConnector(t, s, alice.ID, "imap")
	bobs := mustConnector(t, s, bob.ID, "imap")
	for _, c := range []store.Connector{disconnected, kept} {
		if err := s.ApplyConnectorBatch(ctx, alice.ID, c.ID, batch, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ApplyConnectorBatch(ctx, bob.ID, bobs.ID, batch, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteConnector(ctx, alice.ID, disconnected.ID); err != nil {
		t.Fatal(err)
	}
	if count(t, pool, "connector_mail", disconnected.ID)+count(t, pool, "connector_events", disconnected.ID) != 0 {
		t.Fatal("items of a disconnected connector remain")
	}
	if count(t, pool, "connector_mail", kept.ID) != 1 || count(t, pool, "connector_events", kept.ID) != 1 {
		t.Fatal("items of the other connector went too")
	}
	// A batch arriving after the disconnect stores nothing.
	if err := s.ApplyConnectorBatch(ctx, alice.ID, disconnected.ID, batch, time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("apply after disconnect: %v", err)
	}
	if err := s.DeleteUser(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM connectors WHERE user_id = $1) + (SELECT count(*) FROM connector_mail WHERE user_id = $1) + (SELECT count(*) FROM connector_events WHERE user_id = $1)`, alice.ID).Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows left of a deleted account: %d %v", n, err)
	}
	if count(t, pool, "connector_mail", bobs.ID) != 1 {
		t.Fatal("another user's items went with the account")
	}
}
