package caldav

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSyncThroughput measures a full sync of 1,000 objects (half of them
// weekly series) against radicale. It runs only with CONFIDANT_BENCH=1:
//
//	CONFIDANT_BENCH=1 go test -count=1 -run TestSyncThroughput -v ./connectors/caldav
func TestSyncThroughput(t *testing.T) {
	if os.Getenv("CONFIDANT_BENCH") != "1" {
		t.Skip("set CONFIDANT_BENCH=1 to measure sync throughput")
	}
	const objects = 1000
	srv := startServer(t)
	srv.MakeCalendar(t, "alice", "bench", "Bench")
	dir := filepath.Join(srv.Dir, "collections", "collection-root", "alice", "bench")
	vtz := mustRead(t, "weekly.ics")
	vtz = vtz[strings.Index(vtz, "BEGIN:VTIMEZONE"):strings.Index(vtz, "BEGIN:VEVENT")]
	for i := range objects {
		rule := ""
		if i%2 == 0 {
			rule = "RRULE:FREQ=WEEKLY;COUNT=52\r\n"
		}
		day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%365)
		ics := fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n%sBEGIN:VEVENT\r\nUID:bench-%d@test\r\nDTSTAMP:20260101T000000Z\r\n"+
			"DTSTART;TZID=Europe/Berlin:%sT%02d0000\r\nDURATION:PT1H\r\n%sSUMMARY:Event %d\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
			vtz, i, day.Format("20060102"), 8+i%10, rule, i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("e%04d.ics", i)), []byte(ics), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(label string) {
		rec := newRecorder()
		start := time.Now()
		if err := newSource(t, srv.URL, "secret", (&countingDialer{}).dial, Options{}).Sync(context.Background(), nil, rec); err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(start)
		occurrences := 0
		for _, evs := range rec.stored {
			occurrences += len(evs)
		}
		if len(rec.stored) != objects {
			t.Fatalf("synced %d objects, want %d", len(rec.stored), objects)
		}
		t.Logf("%s full sync: %d objects, %d occurrences, %d batches in %s: %.0f objects/s",
			label, objects, occurrences, len(rec.batches), elapsed.Round(time.Millisecond), float64(objects)/elapsed.Seconds())
	}
	run("cold (radicale parses the files)")
	run("warm (radicale's cache filled)")
}
