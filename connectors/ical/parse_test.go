package ical

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"confidant/connectors"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestParseGolden expands each testdata/*.ics file and compares the
// occurrences (or the error) with testdata/*.golden.
func TestParseGolden(t *testing.T) {
	year2026 := Options{
		From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		To:   time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	tests := []struct {
		file    string
		opt     Options
		wantErr bool
	}{
		{file: "single.ics", opt: year2026},
		{file: "allday.ics", opt: year2026},
		{file: "weekly_dst.ics", opt: year2026},
		{file: "weekly_overrides.ics", opt: year2026},
		{file: "rdate_until.ics", opt: year2026},
		{file: "windows_tz.ics", opt: year2026},
		{file: "custom_vtimezone.ics", opt: year2026},
		{file: "floating.ics", opt: Options{From: year2026.From, To: year2026.To, Floating: mustLoad(t, "America/New_York")}},
		{file: "monthly_lastfri.ics", opt: year2026},
		{file: "bounded.ics", opt: Options{From: year2026.From, To: year2026.To, MaxOccurrences: 10}},
		{file: "missing_dtstart.ics", opt: year2026, wantErr: true},
		{file: "bad_rrule.ics", opt: year2026, wantErr: true},
		{file: "never_rrule.ics", opt: year2026, wantErr: true},
		{file: "garbage.ics", opt: year2026, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			events, err := Parse(data, tt.opt)
			var got string
			if err != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("error %v does not wrap ErrInvalid", err)
				}
				got = "error: " + err.Error() + "\n"
			} else {
				got = format(events)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			golden := filepath.Join("testdata", strings.TrimSuffix(tt.file, ".ics")+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("occurrences differ from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

func format(events []connectors.Event) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "%s %s allday=%t tz=%q recurring=%t uid=%s summary=%q",
			e.Start.Format(time.RFC3339), e.End.Format(time.RFC3339), e.AllDay, e.TimeZone, e.Recurring, e.UID, e.Summary)
		if e.Location != "" || e.Description != "" {
			fmt.Fprintf(&b, " location=%q description=%q", e.Location, e.Description)
		}
		if e.Organizer != "" || len(e.Attendees) > 0 {
			fmt.Fprintf(&b, " organizer=%s attendees=%s", e.Organizer, strings.Join(e.Attendees, ","))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestParseLocalTimeAcrossDST checks the invariant behind the golden
// files: every occurrence of the weekly 09:00 Berlin meeting starts at
// 09:00 Berlin time, before and after the change to summer time.
func TestParseLocalTimeAcrossDST(t *testing.T) {
	data, err := os.ReadFile("testdata/weekly_dst.ics")
	if err != nil {
		t.Fatal(err)
	}
	events, err := Parse(data, Options{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 5 {
		t.Fatalf("got %d occurrences, want 5 (COUNT=5)", len(events))
	}
	berlin := mustLoad(t, "Europe/Berlin")
	offsets := map[int]bool{}
	for _, e := range events {
		local := e.Start.In(berlin)
		if local.Hour() != 9 || local.Minute() != 0 || local.Weekday() != time.Monday {
			t.Errorf("occurrence at %s local, want Monday 09:00", local)
		}
		if e.End.Sub(e.Start) != 30*time.Minute {
			t.Errorf("occurrence lasts %s, want 30m", e.End.Sub(e.Start))
		}
		_, off := local.Zone()
		offsets[off] = true
	}
	if len(offsets) != 2 {
		t.Errorf("occurrences span %d UTC offsets, want 2 (CET and CEST)", len(offsets))
	}
}

// TestParseWindowAndBound checks that only occurrences overlapping the
// window come back and that an endless rule stops at the bound.
func TestParseWindowAndBound(t *testing.T) {
	data, err := os.ReadFile("testdata/bounded.ics")
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 3, 10, 8, 10, 0, 0, time.UTC) // inside the 08:00–08:15 occurrence
	to := time.Date(2026, 3, 13, 8, 0, 0, 0, time.UTC)    // the 13th starts exactly at To: excluded
	events, err := Parse(data, Options{From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	var days []int
	for _, e := range events {
		days = append(days, e.Start.Day())
	}
	if fmt.Sprint(days) != "[10 11 12]" {
		t.Errorf("days = %v, want [10 11 12]", days)
	}
	events, err = Parse(data, Options{From: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != DefaultMaxOccurrences {
		t.Errorf("got %d occurrences of an endless daily rule over 10 years, want the bound %d", len(events), DefaultMaxOccurrences)
	}
}

// TestParseErrorsNameNoContent checks that error texts do not echo the
// data they complain about.
func TestParseErrorsNameNoContent(t *testing.T) {
	for _, file := range []string{"missing_dtstart.ics", "bad_rrule.ics", "garbage.ics"} {
		data, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Parse(data, Options{From: time.Unix(0, 0), To: time.Unix(1<<32, 0)})
		if err == nil {
			t.Fatalf("%s: no error", file)
		}
		for _, secret := range []string{"No start", "nostart@test", "FORTNIGHTLY", "Bad rule", "garbage"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error %q contains %q", file, err, secret)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.ics")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	opt := Options{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), MaxOccurrences: 50}
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := Parse(data, opt)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		perUID := map[string]int{}
		for _, e := range events {
			if e.End.Before(e.Start) {
				t.Fatalf("occurrence ends before it starts: %v", e)
			}
			if !e.Start.Before(opt.To) || e.End.Before(opt.From) {
				t.Fatalf("occurrence outside the window: %v", e)
			}
			if e.Start.Location() != time.UTC || e.End.Location() != time.UTC {
				t.Fatalf("times not in UTC: %v", e)
			}
			perUID[e.UID]++
		}
		for uid, n := range perUID {
			if n > 3*opt.MaxOccurrences { // a UID may hold several series
				t.Fatalf("uid %q has %d occurrences, bound %d", uid, n, opt.MaxOccurrences)
			}
		}
	})
}

// TestParseRulesThatNeverOccur checks that rules the recurrence library
// would search until the year 9999 are refused at once.
func TestParseRulesThatNeverOccur(t *testing.T) {
	for _, rule := range []string{
		"FREQ=HOURLY;INTERVAL=24;BYHOUR=5", // DTSTART is at 08:00: never 05:00
		"FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=2,4",
		"FREQ=MINUTELY;COUNT=3",
	} {
		data := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:x\r\n" +
			"DTSTART:20260101T080000Z\r\nRRULE:" + rule + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
		start := time.Now()
		_, err := Parse(data, Options{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", rule, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: took %s", rule, d)
		}
	}
}
