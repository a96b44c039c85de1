package tools

import (
	"strings"
	"time"
)

// moment is a time argument read in a zone: a whole day (Day true, At its
// local midnight) or an exact time.
type moment struct {
	At  time.Time
	Day bool
}

// parseMoment reads "today", "tomorrow", "yesterday", YYYY-MM-DD, RFC 3339
// or YYYY-MM-DDTHH:MM (local to loc). Days start at local midnight, so a
// day across a daylight-saving change is 23 or 25 hours long.
func parseMoment(s string, now time.Time, loc *time.Location) (moment, bool) {
	s = strings.TrimSpace(s)
	local := now.In(loc)
	day := func(offset int) moment {
		return moment{At: time.Date(local.Year(), local.Month(), local.Day()+offset, 0, 0, 0, 0, loc), Day: true}
	}
	switch strings.ToLower(s) {
	case "today":
		return day(0), true
	case "tomorrow":
		return day(1), true
	case "yesterday":
		return day(-1), true
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return moment{At: t, Day: true}, true
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return moment{At: t}, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return moment{At: t}, true
		}
	}
	return moment{}, false
}

// nextDay is local midnight of the day after t's day in loc.
func nextDay(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
}

// span resolves a from/to pair: from defaults to today; a day as "to"
// includes that whole day; an empty "to" ends with defaultDays days from
// the day of from (or that many days after an exact from).
func span(fromArg, toArg string, defaultDays int, now time.Time, loc *time.Location) (time.Time, time.Time, error) {
	if fromArg == "" {
		fromArg = "today"
	}
	from, ok := parseMoment(fromArg, now, loc)
	if !ok {
		return time.Time{}, time.Time{}, failf("from: %s", momentHelp)
	}
	var to time.Time
	switch {
	case toArg == "" && from.Day:
		l := from.At.In(loc)
		to = time.Date(l.Year(), l.Month(), l.Day()+defaultDays, 0, 0, 0, 0, loc)
	case toArg == "":
		to = from.At.AddDate(0, 0, defaultDays)
	default:
		m, ok := parseMoment(toArg, now, loc)
		if !ok {
			return time.Time{}, time.Time{}, failf("to: %s", momentHelp)
		}
		to = m.At
		if m.Day {
			to = nextDay(m.At, loc)
		}
	}
	if !to.After(from.At) {
		return time.Time{}, time.Time{}, failf("to must be after from")
	}
	if to.Sub(from.At) > maxRange {
		return time.Time{}, time.Time{}, failf("the range is too long (at most %d days)", int(maxRange/(24*time.Hour)))
	}
	return from.At, to, nil
}

const momentHelp = `want "today", "tomorrow", "yesterday", YYYY-MM-DD, RFC 3339 or YYYY-MM-DDTHH:MM`

// clock parses HH:MM into minutes after midnight.
func clock(s string, fallback int) (int, bool) {
	if s == "" {
		return fallback, true
	}
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}
