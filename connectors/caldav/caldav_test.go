package caldav

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"confidant/connectors"
	"confidant/internal/testcal"
)

// now is the tests' clock: the window is 2025-06-01 .. 2028-05-31.
var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// recorder is an in-memory Sink that keeps what a real one stores: the
// occurrences by resource, replaced per batch, and the cursor.
type recorder struct {
	mu      sync.Mutex
	stored  map[string][]connectors.Event
	cursor  []byte
	batches []connectors.Batch
	failAt  int // when > 0, Apply fails on this batch (1-based)
}

var errSinkDown = errors.New("sink down")

func newRecorder() *recorder { return &recorder{stored: map[string][]connectors.Event{}} }

func (r *recorder) Apply(_ context.Context, b connectors.Batch) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failAt > 0 && len(r.batches)+1 == r.failAt {
		return errSinkDown
	}
	r.batches = append(r.batches, b)
	for _, h := range b.Removed {
		delete(r.stored, h)
	}
	fresh := map[string]bool{}
	for _, e := range b.Events {
		if !fresh[e.Resource] {
			fresh[e.Resource] = true
			r.stored[e.Resource] = nil
		}
		r.stored[e.Resource] = append(r.stored[e.Resource], e)
	}
	r.cursor = b.Cursor
	return nil
}

// touched lists the resources carried by the batches from index from on.
func (r *recorder) touched(from int) (events, removed []string) {
	seenE, seenR := map[string]bool{}, map[string]bool{}
	for _, b := range r.batches[from:] {
		for _, e := range b.Events {
			if !seenE[e.Resource] {
				seenE[e.Resource] = true
				events = append(events, e.Resource)
			}
		}
		for _, h := range b.Removed {
			if !seenR[h] {
				seenR[h] = true
				removed = append(removed, h)
			}
		}
	}
	sort.Strings(events)
	sort.Strings(removed)
	return events, removed
}

// summary renders the stored occurrences, one line each, sorted.
func (r *recorder) summary() string {
	var lines []string
	for res, evs := range r.stored {
		for _, e := range evs {
			lines = append(lines, fmt.Sprintf("%s %s %s..%s allday=%t tz=%s cal=%s %q",
				res, e.UID, e.Start.Format(time.RFC3339), e.End.Format(time.RFC3339), e.AllDay, e.TimeZone, e.Calendar, e.Summary))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// countingDialer dials TCP and counts the connections it opened.
type countingDialer struct{ n atomic.Int64 }

func (d *countingDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.n.Add(1)
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

func startServer(t *testing.T) *testcal.Server {
	t.Helper()
	return testcal.StartCalDAV(t, testcal.Options{Users: map[string]string{"alice": "secret", "bob": "hunter2"}})
}

func putFile(t *testing.T, srv *testcal.Server, cal, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return srv.Put(t, "alice", cal, file, string(data))
}

func newSource(t *testing.T, url, password string, dial connectors.Dialer, opt Options) *Source {
	t.Helper()
	if opt.Now == nil {
		opt.Now = func() time.Time { return now }
	}
	src, err := Factory(opt)(connectors.Settings{Kind: connectors.KindCalDAV, URL: url, Username: "alice", Password: password}, dial, nil)
	if err != nil {
		t.Fatal(err)
	}
	return src.(*Source)
}

func syncOnce(t *testing.T, src *Source, rec *recorder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := src.Sync(ctx, rec.cursor, rec); err != nil {
		t.Fatalf("sync: %v", err)
	}
}

// loadCorpus makes the calendars "work" (Work) and "home" (Home) and puts
// the corpus in work.
func loadCorpus(t *testing.T, srv *testcal.Server) (work, home string) {
	t.Helper()
	work = srv.MakeCalendar(t, "alice", "work", "Work")
	home = srv.MakeCalendar(t, "alice", "home", "Home")
	for _, f := range []string{"single.ics", "allday.ics", "weekly.ics", "ny.ics", "broken_end.ics", "broken_rule.ics"} {
		putFile(t, srv, work, f)
	}
	return work, home
}

// corpus is the corpus's occurrences, worked out by hand: Berlin is UTC+1
// until 2026-03-29 and UTC+2 after; New York is UTC-5 until 2026-03-08 and
// UTC-4 after. The two broken objects yield nothing.
const corpus = `/alice/work/allday.ics allday-1@test 2026-05-01T00:00:00Z..2026-05-03T00:00:00Z allday=true tz= cal=Work "Long weekend"
/alice/work/ny.ics ny-1@test 2026-03-02T15:00:00Z..2026-03-02T16:00:00Z allday=false tz=America/New_York cal=Work "NY call"
/alice/work/ny.ics ny-1@test 2026-03-09T14:00:00Z..2026-03-09T15:00:00Z allday=false tz=America/New_York cal=Work "NY call"
/alice/work/single.ics single-1@test 2026-06-15T12:00:00Z..2026-06-15T13:30:00Z allday=false tz=Europe/Berlin cal=Work "Dentist, Dr. Weber"
/alice/work/weekly.ics weekly-1@test 2026-03-02T08:00:00Z..2026-03-02T08:30:00Z allday=false tz=Europe/Berlin cal=Work "Standup"
/alice/work/weekly.ics weekly-1@test 2026-03-09T08:00:00Z..2026-03-09T08:30:00Z allday=false tz=Europe/Berlin cal=Work "Standup"
/alice/work/weekly.ics weekly-1@test 2026-03-24T10:00:00Z..2026-03-24T10:30:00Z allday=false tz=Europe/Berlin cal=Work "Standup (moved)"
/alice/work/weekly.ics weekly-1@test 2026-03-30T07:00:00Z..2026-03-30T07:30:00Z allday=false tz=Europe/Berlin cal=Work "Standup"
/alice/work/weekly.ics weekly-1@test 2026-04-06T07:00:00Z..2026-04-06T07:30:00Z allday=false tz=Europe/Berlin cal=Work "Standup"`

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

func TestDiscovery(t *testing.T) {
	srv := startServer(t)
	work, home := loadCorpus(t, srv)
	homeEvent := strings.ReplaceAll(mustRead(t, "allday.ics"), "allday-1@test", "home-1@test")
	srv.Put(t, "alice", home, "h.ics", homeEvent)

	tests := []struct {
		name, url string
		want      []string // calendars of the stored events
	}{
		{"server root", srv.URL, []string{"Home", "Work"}},
		{"principal", srv.URL + "alice/", []string{"Home", "Work"}},
		{"calendar", home, []string{"Home"}},
		{"calendar without slash", strings.TrimSuffix(work, "/"), []string{"Work"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder()
			var d countingDialer
			syncOnce(t, newSource(t, tt.url, "secret", d.dial, Options{}), rec)
			seen := map[string]bool{}
			for _, evs := range rec.stored {
				for _, e := range evs {
					seen[e.Calendar] = true
				}
			}
			got := slices.Sorted(func(yield func(string) bool) {
				for c := range seen {
					if !yield(c) {
						return
					}
				}
			})
			if !slices.Equal(got, tt.want) {
				t.Errorf("calendars synced = %v, want %v", got, tt.want)
			}
		})
	}
}

func mustRead(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
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

func TestSyncErrors(t *testing.T) {
	srv := startServer(t)
	srv.MakeCalendar(t, "alice", "work", "Work")
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String() + "/"
	closed.Close()
	var d countingDialer
	refuse := func(context.Context, string, string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("address not allowed")}
	}

	tests := []struct {
		name      string
		url, pass string
		dial      connectors.Dialer
		code      string
		retry     bool
	}{
		{"wrong password", srv.URL, "wrong", d.dial, "auth_failed", false},
		{"another user's calendar", srv.URL + "bob/", "secret", d.dial, "auth_failed", false},
		{"nothing listening", closedURL, "secret", d.dial, "unreachable", true},
		{"dialer refuses", srv.URL, "secret", refuse, "unreachable", true},
		{"not a calendar server", srv.URL + "alice/work/nothing-here/", "secret", d.dial, "not_caldav", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder()
			err := newSource(t, tt.url, tt.pass, tt.dial, Options{}).Sync(context.Background(), nil, rec)
			var ce *connectors.Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *connectors.Error", err)
			}
			if tt.code != "" && (ce.Code != tt.code || ce.Retry != tt.retry) {
				t.Errorf("error %q (retry %t), want %q (retry %t)", ce.Code, ce.Retry, tt.code, tt.retry)
			}
			if strings.Contains(ce.Message, "secret") || ce.Message == "" {
				t.Errorf("message %q", ce.Message)
			}
			if len(rec.batches) != 0 {
				t.Errorf("a failed sync applied %d batches", len(rec.batches))
			}
		})
	}
}

func TestFactoryRejectsPlainHTTPToRemoteHosts(t *testing.T) {
	_, err := New(connectors.Settings{URL: "http://calendar.example.org/dav/", Username: "alice", Password: "x"}, (&countingDialer{}).dial, nil)
	var ce *connectors.Error
	if !errors.As(err, &ce) || ce.Code != "tls" {
		t.Fatalf("err = %v, want a tls error", err)
	}
}

// cuttingDialer drops every connection once budget bytes have been read
// in total, as a network that goes away mid-sync.
type cuttingDialer struct{ budget atomic.Int64 }

func (d *cuttingDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &cuttingConn{Conn: c, d: d}, nil
}

type cuttingConn struct {
	net.Conn
	d *cuttingDialer
}

func (c *cuttingConn) Read(p []byte) (int, error) {
	if c.d.budget.Load() <= 0 {
		c.Conn.Close()
		return 0, errors.New("connection reset by the test")
	}
	n, err := c.Conn.Read(p)
	c.d.budget.Add(-int64(n))
	return n, err
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

func TestCreateEvent(t *testing.T) {
	srv := startServer(t)
	loadCorpus(t, srv)
	src := newSource(t, srv.URL, "secret", (&countingDialer{}).dial, Options{})
	rec := newRecorder()
	syncOnce(t, src, rec)
	n := len(rec.batches)

	ctx := context.Background()
	timed, err := src.CreateEvent(ctx, connectors.Event{
		Summary: "Lunch with Bob", Location: "Café, Ecke",
		Start: time.Date(2026, 11, 2, 11, 30, 0, 0, time.UTC), End: time.Date(2026, 11, 2, 12, 30, 0, 0, time.UTC),
		TimeZone: "Europe/Berlin", Calendar: "Home",
	})
	if err != nil {
		t.Fatalf("create timed: %v", err)
	}
	allDay, err := src.CreateEvent(ctx, connectors.Event{
		Summary: "Holiday", AllDay: true,
		Start: time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 27, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatalf("create all-day: %v", err)
	}
	if !strings.HasPrefix(timed, "/alice/home/") || !strings.HasPrefix(allDay, "/alice/") {
		t.Errorf("hrefs %q, %q", timed, allDay)
	}
	stored := srv.Get(t, "alice", timed)
	if !strings.Contains(stored, "DTSTART;TZID=Europe/Berlin:20261102T123000") || !strings.Contains(stored, "BEGIN:VTIMEZONE") {
		t.Errorf("stored event not in its zone:\n%s", stored)
	}

	syncOnce(t, src, rec)
	events, removed := rec.touched(n)
	if want := slices.Sorted(slices.Values([]string{allDay, timed})); !slices.Equal(events, want) || len(removed) != 0 {
		t.Errorf("sync after create: events %v removed %v, want events %v", events, removed, want)
	}
	if evs := rec.stored[timed]; len(evs) != 1 || !evs[0].Start.Equal(time.Date(2026, 11, 2, 11, 30, 0, 0, time.UTC)) ||
		evs[0].TimeZone != "Europe/Berlin" || evs[0].Calendar != "Home" || evs[0].Location != "Café, Ecke" {
		t.Errorf("created timed event synced as %+v", evs)
	}
	if evs := rec.stored[allDay]; len(evs) != 1 || !evs[0].AllDay || !evs[0].End.Equal(time.Date(2026, 12, 27, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("created all-day event synced as %+v", evs)
	}

	if _, err := src.CreateEvent(ctx, connectors.Event{Summary: "x", Start: now, End: now, Calendar: "No such"}); err == nil {
		t.Error("creating in a calendar that does not exist succeeded")
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
