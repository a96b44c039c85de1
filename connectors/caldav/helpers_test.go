package caldav

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
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

func mustRead(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func (d *cuttingDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &cuttingConn{Conn: c, d: d}, nil
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
