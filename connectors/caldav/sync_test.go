package caldav

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"confidant/connectors"
)

func TestFullSync(t *testing.T) {
	srv := startServer(t)
	loadCorpus(t, srv)
	var d countingDialer
	rec := newRecorder()
	syncOnce(t, newSource(t, srv.URL, "secret", d.dial, Options{BatchSize: 2}), rec)

	if got := rec.summary(); got != corpus {
		t.Errorf("stored occurrences:\n%s\nwant:\n%s", got, corpus)
	}
	if d.n.Load() == 0 {
		t.Error("the source opened no connection through the given dialer")
	}
	// Six objects in batches of at most two objects each.
	if len(rec.batches) < 3 {
		t.Errorf("got %d batches, want at least 3 with BatchSize 2", len(rec.batches))
	}
	last := rec.batches[len(rec.batches)-1].Progress
	if last.Done != 6 || last.Total != 6 {
		t.Errorf("final progress %+v, want 6 of 6", last)
	}
	// The broken objects are removed (their old occurrences, if any,
	// must go), not fatal.
	_, removed := rec.touched(0)
	for _, h := range []string{"/alice/work/broken_end.ics", "/alice/work/broken_rule.ics"} {
		if !slices.Contains(removed, h) {
			t.Errorf("broken object %s not in Removed (%v)", h, removed)
		}
	}
	for _, e := range rec.stored["/alice/work/weekly.ics"] {
		if !e.Recurring {
			t.Errorf("weekly occurrence %s not marked Recurring", e.Start)
		}
	}
	if evs := rec.stored["/alice/work/single.ics"]; len(evs) != 1 || evs[0].Location != "Hauptstr. 1" ||
		evs[0].Organizer != "alice@example.org" || len(evs[0].Attendees) != 2 {
		t.Errorf("single event details lost: %+v", evs)
	}

	// A second sync with nothing changed hands over nothing.
	n := len(rec.batches)
	syncOnce(t, newSource(t, srv.URL, "secret", d.dial, Options{}), rec)
	if events, removed := rec.touched(n); len(events)+len(removed) != 0 {
		t.Errorf("unchanged account re-sent events %v, removed %v", events, removed)
	}
}

// setTokens rewrites a cursor's sync tokens: "" as if the server had
// offered none (the next sync compares etags), or a token the server does
// not know (it refuses it, and the sync falls back to etags).
func setTokens(t *testing.T, c []byte, token string) []byte {
	t.Helper()
	var cur cursor
	if err := json.Unmarshal(c, &cur); err != nil {
		t.Fatal(err)
	}
	for _, st := range cur.Calendars {
		if st.Token == "" {
			t.Fatal("radicale offered no sync token")
		}
		st.Token = token
	}
	out, err := json.Marshal(cur)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestIncrementalSync(t *testing.T) {
	for _, mode := range []string{"sync-token", "etag", "stale token"} {
		t.Run(mode, func(t *testing.T) {
			srv := startServer(t)
			work, _ := loadCorpus(t, srv)
			var d countingDialer
			rec := newRecorder()
			syncOnce(t, newSource(t, srv.URL, "secret", d.dial, Options{}), rec)
			switch mode {
			case "etag":
				rec.cursor = setTokens(t, rec.cursor, "")
			case "stale token":
				rec.cursor = setTokens(t, rec.cursor, "http://radicale.org/ns/sync/"+strings.Repeat("0", 64))
			}

			// Add one, change one, delete one.
			added := srv.Put(t, "alice", work, "added.ics", strings.ReplaceAll(mustRead(t, "allday.ics"), "allday-1@test", "added-1@test"))
			changed := srv.Put(t, "alice", work, "single.ics", strings.ReplaceAll(mustRead(t, "single.ics"), "Berlin:20260615T140000", "Berlin:20260615T120000"))
			srv.Delete(t, "alice", "/alice/work/ny.ics")

			n := len(rec.batches)
			syncOnce(t, newSource(t, srv.URL, "secret", d.dial, Options{}), rec)
			events, removed := rec.touched(n)
			if want := []string{added, changed}; !slices.Equal(events, want) {
				t.Errorf("incremental sync sent events of %v, want %v", events, want)
			}
			if want := []string{"/alice/work/ny.ics"}; !slices.Equal(removed, want) {
				t.Errorf("incremental sync removed %v, want %v", removed, want)
			}
			if evs := rec.stored[changed]; len(evs) != 1 || !evs[0].Start.Equal(time.Date(2026, 6, 15, 10, 0, 0, 0, time.UTC)) {
				t.Errorf("changed event stored as %+v, want one occurrence at 10:00 UTC", evs)
			}
			if _, ok := rec.stored["/alice/work/ny.ics"]; ok {
				t.Error("deleted event still stored")
			}
			if len(rec.stored[added]) != 1 {
				t.Errorf("added event stored as %+v", rec.stored[added])
			}
		})
	}
}

// cuttingDialer drops every connection once budget bytes have been read
// in total, as a network that goes away mid-sync.
type cuttingDialer struct{ budget atomic.Int64 }

type cuttingConn struct {
	net.Conn
	d *cuttingDialer
}

func TestResumeWithoutDuplicates(t *testing.T) {
	srv := startServer(t)
	work, _ := loadCorpus(t, srv)
	for i := range 8 {
		srv.Put(t, "alice", work, fmt.Sprintf("extra%d.ics", i), strings.ReplaceAll(mustRead(t, "allday.ics"), "allday-1@test", fmt.Sprintf("extra-%d@test", i)))
	}
	reference := newRecorder()
	measure := &cuttingDialer{}
	measure.budget.Store(1 << 40)
	syncOnce(t, newSource(t, srv.URL, "secret", measure.dial, Options{BatchSize: 2}), reference)
	want := reference.summary()
	total := 1<<40 - measure.budget.Load() // bytes a whole sync reads

	t.Run("sink fails", func(t *testing.T) {
		rec := newRecorder()
		rec.failAt = 3
		err := newSource(t, srv.URL, "secret", (&countingDialer{}).dial, Options{BatchSize: 2}).Sync(context.Background(), nil, rec)
		if !errors.Is(err, errSinkDown) {
			t.Fatalf("err = %v, want the sink's error", err)
		}
		rec.failAt = 0
		syncOnce(t, newSource(t, srv.URL, "secret", (&countingDialer{}).dial, Options{BatchSize: 2}), rec)
		if got := rec.summary(); got != want {
			t.Errorf("after resume:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("connection dropped", func(t *testing.T) {
		rec := newRecorder()
		cut := &cuttingDialer{}
		cut.budget.Store(total * 2 / 3) // past discovery, into the object fetches
		err := newSource(t, srv.URL, "secret", cut.dial, Options{BatchSize: 2}).Sync(context.Background(), nil, rec)
		var ce *connectors.Error
		if !errors.As(err, &ce) || ce.Code != "unreachable" || !ce.Retry {
			t.Fatalf("err = %v, want unreachable", err)
		}
		if len(rec.batches) == 0 {
			t.Fatal("the cut came before the first batch: raise the budget")
		}
		syncOnce(t, newSource(t, srv.URL, "secret", (&countingDialer{}).dial, Options{BatchSize: 2}), rec)
		if got := rec.summary(); got != want {
			t.Errorf("after resume:\n%s\nwant:\n%s", got, want)
		}
	})
}

func TestWindowMovesOn(t *testing.T) {
	srv := startServer(t)
	work := srv.MakeCalendar(t, "alice", "work", "Work")
	srv.Put(t, "alice", work, "daily.ics", `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:daily@test
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:20200101
RRULE:FREQ=DAILY
SUMMARY:Every day
END:VEVENT
END:VCALENDAR
`)
	rec := newRecorder()
	opt := Options{Past: 2 * 24 * time.Hour, Ahead: 3 * 24 * time.Hour}
	syncOnce(t, newSource(t, srv.URL, "secret", (&countingDialer{}).dial, opt), rec)
	days := func() []int {
		var out []int
		for _, e := range rec.stored["/alice/work/daily.ics"] {
			out = append(out, e.Start.Day())
		}
		return out
	}
	if got := fmt.Sprint(days()); got != "[30 31 1 2 3]" {
		t.Fatalf("days = %s, want [30 31 1 2 3] around 2026-06-01", got)
	}
	// A day later the window is kept (nothing re-expanded) ...
	opt.Now = func() time.Time { return now.Add(24 * time.Hour) }
	syncOnce(t, newSource(t, srv.URL, "secret", (&countingDialer{}).dial, opt), rec)
	if got := fmt.Sprint(days()); got != "[30 31 1 2 3]" {
		t.Errorf("after a day: days = %s, want the same window", got)
	}
	// ... ten days later the object is expanded for the new window.
	opt.Now = func() time.Time { return now.Add(10 * 24 * time.Hour) }
	syncOnce(t, newSource(t, srv.URL, "secret", (&countingDialer{}).dial, opt), rec)
	if got := fmt.Sprint(days()); got != "[9 10 11 12 13]" {
		t.Errorf("after ten days: days = %s, want [9 10 11 12 13]", got)
	}
}

// TestSyncCollectionDelta checks the RFC 6578 delta itself: from a token,
// only what changed since.
func TestSyncCollectionDelta(t *testing.T) {
	srv := startServer(t)
	work, _ := loadCorpus(t, srv)
	src := newSource(t, srv.URL, "secret", (&countingDialer{}).dial, Options{})
	ctx := context.Background()
	all, err := src.syncCollection(ctx, "/alice/work/", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all.ETags) != 6 || all.Token == "" || all.Delta {
		t.Fatalf("initial listing: %d objects, token %q, delta %t", len(all.ETags), all.Token, all.Delta)
	}
	// The PROPFIND listing, for servers without sync-collection, agrees.
	byPropfind, err := src.listETags(ctx, "/alice/work/")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(byPropfind.ETags) != fmt.Sprint(all.ETags) {
		t.Errorf("PROPFIND listing %v, sync-collection listing %v", byPropfind.ETags, all.ETags)
	}
	// Hrefs are handled decoded and sent escaped.
	spaced := srv.Put(t, "alice", work, "team%20meeting.ics", mustRead(t, "added.ics"))
	objs, err := src.multiget(ctx, "/alice/work/", []string{"/alice/work/team meeting.ics", "/alice/work/missing.ics"})
	if err != nil {
		t.Fatal(err)
	}
	if spaced != "/alice/work/team%20meeting.ics" || len(objs) != 2 || objs[0].Gone || !strings.Contains(string(objs[0].Data), "added-file@test") || !objs[1].Gone {
		t.Errorf("multiget of an href with a space and a missing one: %+v", objs)
	}
	srv.Delete(t, "alice", spaced)
	all, err = src.syncCollection(ctx, "/alice/work/", "")
	if err != nil {
		t.Fatal(err)
	}
	added := putFile(t, srv, work, "added.ics")
	srv.Delete(t, "alice", "/alice/work/ny.ics")
	delta, err := src.syncCollection(ctx, "/alice/work/", all.Token)
	if err != nil {
		t.Fatal(err)
	}
	if len(delta.ETags) != 1 || delta.ETags[added] == "" || !slices.Equal(delta.Removed, []string{"/alice/work/ny.ics"}) || !delta.Delta {
		t.Errorf("delta = %+v, want %s changed and ny.ics removed", delta, added)
	}
	if _, err := src.syncCollection(ctx, "/alice/work/", "http://radicale.org/ns/sync/"+strings.Repeat("0", 64)); !errors.Is(err, errInvalidToken) {
		t.Errorf("unknown token: err = %v, want errInvalidToken", err)
	}
}
