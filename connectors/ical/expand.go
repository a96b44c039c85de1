package ical

import (
	"errors"
	"sort"
	"strings"
	"time"

	goical "github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// maxSteps bounds the recurrence instances one rule may walk through,
// from DTSTART up to the end of the window.
const maxSteps = 200_000

// expand returns the wall clocks at which the event's occurrences start,
// from DTSTART, RRULE and RDATE less EXDATE, near the window (a coarse
// filter: the caller checks overlap exactly), sorted and without repeats.
func (p *parser) expand(c *goical.Component, t timing) ([]time.Time, error) {
	slack := 48*time.Hour + t.duration + time.Duration(t.days)*24*time.Hour
	lo, hi := p.opt.From.Add(-slack), p.opt.To.Add(48*time.Hour)
	limit := 2*p.opt.MaxOccurrences + 64
	candidates := []time.Time{t.start.wall}

	for _, r := range c.Props.Values(goical.PropRecurrenceRule) {
		next, err := ruleIterator(r.Value, t.start.wall, t.allDay, t.start.zone, p.opt.From)
		if err != nil {
			return nil, err
		}
		found := 0
		for step := 0; step < maxSteps && found < limit; step++ {
			w, ok := next()
			if !ok || !w.Before(hi) {
				break
			}
			if w.Before(lo) {
				continue
			}
			candidates = append(candidates, w)
			found++
		}
	}
	for _, r := range c.Props.Values(goical.PropRecurrenceDates) {
		vals, err := p.stamps(&r)
		if err != nil {
			return nil, errors.New("RDATE: " + err.Error())
		}
		for _, v := range vals {
			candidates = append(candidates, t.start.convert(v))
		}
	}

	excluded := map[time.Time]bool{}
	for _, r := range c.Props.Values(goical.PropExceptionDates) {
		vals, err := p.stamps(&r)
		if err != nil {
			return nil, errors.New("EXDATE: " + err.Error())
		}
		for _, v := range vals {
			excluded[t.start.convert(v)] = true
		}
	}

	sort.Slice(candidates, func(i, j int) bool { return candidates[i].Before(candidates[j]) })
	out := candidates[:0]
	for i, w := range candidates {
		if (i > 0 && w.Equal(candidates[i-1])) || excluded[w] {
			continue
		}
		if t.allDay && excluded[w.Truncate(24*time.Hour)] {
			continue
		}
		out = append(out, w)
	}
	return out, nil
}

// convert expresses another date or date-time (an RDATE, an EXDATE) as a
// wall clock of this start's kind: a date for all-day events, the same
// instant on this start's zone otherwise.
func (s stamp) convert(v stamp) time.Time {
	switch {
	case s.date && v.date:
		return v.wall
	case s.date:
		return v.wall.Truncate(24 * time.Hour)
	case v.date:
		// A date EXDATE on a timed event: the occurrence at this start's
		// time of day on that date.
		h, m, sec := s.wall.Clock()
		return v.wall.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second)
	default:
		return s.zone.wallOf(v.instant())
	}
}

// ruleIterator builds an iterator over the wall clocks of one RRULE that
// starts at dtstart (a wall clock on z; z is unused for dates).
//
// The rule library cannot walk more than about 290 years (time.Duration's
// range), so a start centuries before near (Microsoft's VTIMEZONE rules
// start in 1601) is moved on by whole 400-year Gregorian cycles, which
// repeat dates and weekdays exactly, where the rule allows it.
func ruleIterator(value string, dtstart time.Time, allDay bool, z *zone, near time.Time) (rrule.Next, error) {
	var parts []string
	for _, part := range strings.Split(strings.ToUpper(strings.TrimSpace(value)), ";") {
		if part == "" || strings.HasPrefix(part, "X-") {
			continue
		}
		if strings.HasPrefix(part, "UNTIL=") {
			u, err := untilWall(strings.TrimPrefix(part, "UNTIL="), allDay, z)
			if err != nil {
				return nil, err
			}
			part = "UNTIL=" + u.Format(wallLayout)
		}
		parts = append(parts, part)
	}
	opt, err := rrule.StrToROptionInLocation(strings.Join(parts, ";"), time.UTC)
	if err != nil {
		return nil, errors.New("RRULE unreadable")
	}
	switch opt.Freq {
	case rrule.SECONDLY, rrule.MINUTELY:
		return nil, errors.New("RRULE frequency not supported")
	}
	if !feasible(opt) || !hoursReachable(opt, dtstart) {
		return nil, errors.New("RRULE never occurs")
	}
	opt.Dtstart = shiftStart(opt, dtstart, near)
	r, err := rrule.NewRRule(*opt)
	if err != nil {
		return nil, errors.New("RRULE invalid")
	}
	return r.Iterator(), nil
}

// untilWall reads an RRULE's UNTIL as a wall clock on the rule's zone.
func untilWall(v string, allDay bool, z *zone) (time.Time, error) {
	if len(v) == len(dateLayout) {
		d, err := time.ParseInLocation(dateLayout, v, time.UTC)
		if err != nil {
			return time.Time{}, errors.New("RRULE UNTIL unreadable")
		}
		if allDay {
			return d, nil
		}
		return d.Add(24*time.Hour - time.Second), nil
	}
	utc := strings.HasSuffix(v, "Z")
	w, err := time.ParseInLocation(wallLayout, strings.TrimSuffix(v, "Z"), time.UTC)
	if err != nil {
		return time.Time{}, errors.New("RRULE UNTIL unreadable")
	}
	if utc && !allDay && z != nil {
		return z.wallOf(w), nil
	}
	return w, nil
}

// feasible reports whether BYMONTH and BYMONTHDAY leave any day at all:
// the rule library walks to the year 9999 looking for one otherwise.
func feasible(o *rrule.ROption) bool {
	if len(o.Bymonthday) == 0 {
		return true
	}
	days := [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	months := o.Bymonth
	if len(months) == 0 {
		months = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	}
	for _, m := range months {
		if m < 1 || m > 12 {
			continue
		}
		for _, d := range o.Bymonthday {
			if d != 0 && d <= days[m] && -d <= days[m] {
				return true
			}
		}
	}
	return false
}

// shiftStart moves dtstart on by 400-year cycles towards near when that
// leaves the rule's occurrences unchanged: no COUNT, and an INTERVAL that
// divides the cycle.
func shiftStart(o *rrule.ROption, dtstart, near time.Time) time.Time {
	if o.Count != 0 {
		return dtstart
	}
	interval := max(o.Interval, 1)
	var units int // the cycle in the rule's unit
	switch o.Freq {
	case rrule.YEARLY:
		units = 400
	case rrule.MONTHLY:
		units = 4800
	case rrule.WEEKLY:
		units = 20871
	case rrule.DAILY:
		units = 146097
	case rrule.HOURLY:
		units = 146097 * 24
	}
	if units == 0 || units%interval != 0 {
		return dtstart
	}
	for dtstart.AddDate(400, 0, 0).Before(near.AddDate(-1, 0, 0)) {
		dtstart = dtstart.AddDate(400, 0, 0)
	}
	return dtstart
}

// hoursReachable reports whether an HOURLY rule's INTERVAL ever lands on
// one of its BYHOUR hours (the rule library loops forever otherwise).
func hoursReachable(o *rrule.ROption, dtstart time.Time) bool {
	if o.Freq != rrule.HOURLY || len(o.Byhour) == 0 {
		return true
	}
	g := gcd(max(o.Interval, 1), 24)
	for _, h := range o.Byhour {
		if ((h-dtstart.Hour())%g+g)%g == 0 {
			return true
		}
	}
	return false
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
