package caldav

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"confidant/connectors"
)

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
