// Package ical turns iCalendar data into the occurrences of its events that
// fall within a time window.
package ical

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	goical "github.com/emersion/go-ical"

	"confidant/connectors"
)

// DefaultMaxOccurrences bounds how many occurrences one event yields.
const DefaultMaxOccurrences = 1000

// ErrInvalid marks iCalendar data that cannot be read. Its messages name
// what is wrong and where (e.g. "event 2: DTSTART missing"), never the
// data itself.
var ErrInvalid = errors.New("invalid iCalendar data")

// Options bound the expansion.
type Options struct {
	// From and To are the window: occurrences overlapping [From, To) are
	// returned. Both are required.
	From, To time.Time
	// Floating is the zone of floating times (no TZID, no Z): the user's
	// zone. Nil means UTC.
	Floating *time.Location
	// MaxOccurrences bounds the occurrences of one event inside the
	// window; 0 means DefaultMaxOccurrences.
	MaxOccurrences int
}

// Parse reads one iCalendar object (a VCALENDAR, as stored at one CalDAV
// href or in an .ics file) and returns the occurrences of its events that
// overlap the window, sorted by start. Resource and Calendar are left for
// the caller to fill.
//
// Times follow the connectors.Event contract: Start and End are UTC
// instants. Timed events carry their IANA zone in TimeZone (Windows zone
// names are mapped; "" for UTC, floating times and zones known only from
// a VTIMEZONE without an IANA name). All-day events (VALUE=DATE) have
// AllDay set, Start at 00:00 UTC of their first day and End at 00:00 UTC
// of the day after their last (exclusive), and TimeZone "": the dates are
// calendar dates, to be read in the user's zone, not instants.
//
// Cancelled events (STATUS:CANCELLED) and cancelled occurrences yield
// nothing. Data that cannot be read returns an error wrapping ErrInvalid;
// it never panics.
func Parse(data []byte, opt Options) (events []connectors.Event, err error) {
	if opt.MaxOccurrences <= 0 {
		opt.MaxOccurrences = DefaultMaxOccurrences
	}
	if opt.Floating == nil {
		opt.Floating = time.UTC
	}
	if !opt.From.Before(opt.To) {
		return nil, fmt.Errorf("ical: empty window %s..%s", opt.From, opt.To)
	}
	defer func() {
		// The decoder and the recurrence library are third-party code
		// fed untrusted input: a panic there is one broken object, not
		// a crashed sync.
		if r := recover(); r != nil {
			events, err = nil, invalid("unreadable data")
		}
	}()
	cal, err := goical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		return nil, invalid("not an iCalendar object")
	}
	p := &parser{opt: opt, vtimezones: map[string]*goical.Component{}, zones: map[string]*zone{}}
	var vevents []*goical.Component
	for _, c := range cal.Children {
		switch c.Name {
		case goical.CompTimezone:
			if id := propValue(c, goical.PropTimezoneID); id != "" {
				p.vtimezones[id] = c
			}
		case goical.CompEvent:
			vevents = append(vevents, c)
		}
	}
	out, err := p.events(vevents)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].UID < out[j].UID
	})
	return out, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

type parser struct {
	opt        Options
	vtimezones map[string]*goical.Component
	zones      map[string]*zone
}

// series is one UID's master event and its overridden occurrences.
type series struct {
	index     int // 1-based position of the first VEVENT, for messages
	master    *goical.Component
	overrides []*goical.Component
}

func (p *parser) events(vevents []*goical.Component) ([]connectors.Event, error) {
	var order []*series
	byUID := map[string]*series{}
	for i, c := range vevents {
		uid := propValue(c, goical.PropUID)
		key := uid
		if key == "" {
			key = fmt.Sprintf("\x00%d", i) // no UID: a series of its own
		}
		s := byUID[key]
		if s == nil {
			s = &series{index: i + 1}
			byUID[key] = s
			order = append(order, s)
		}
		if c.Props.Get(goical.PropRecurrenceID) != nil {
			s.overrides = append(s.overrides, c)
		} else if s.master == nil {
			s.master = c
		} else {
			// A second master with the same UID: keep it as its own
			// series rather than drop it.
			order = append(order, &series{index: i + 1, master: c})
		}
	}
	var out []connectors.Event
	for _, s := range order {
		evs, err := p.series(s)
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
	}
	return out, nil
}

// timing is an event's start and length as read from its properties.
type timing struct {
	start    stamp
	allDay   bool
	duration time.Duration // exact, for timed events
	days     int           // whole days, for all-day events
}

func (p *parser) timing(c *goical.Component, fallback *timing) (timing, error) {
	startProp := c.Props.Get(goical.PropDateTimeStart)
	if startProp == nil {
		return timing{}, errors.New("DTSTART missing")
	}
	start, err := p.stamp(startProp)
	if err != nil {
		return timing{}, fmt.Errorf("DTSTART: %w", err)
	}
	t := timing{start: start, allDay: start.date}
	switch {
	case c.Props.Get(goical.PropDateTimeEnd) != nil:
		end, err := p.stamp(c.Props.Get(goical.PropDateTimeEnd))
		if err != nil {
			return timing{}, fmt.Errorf("DTEND: %w", err)
		}
		if t.allDay {
			t.days = int(end.wall.Sub(start.wall).Hours() / 24)
		} else {
			t.duration = end.instant().Sub(start.instant())
		}
	case c.Props.Get(goical.PropDuration) != nil:
		d, err := c.Props.Get(goical.PropDuration).Duration()
		if err != nil {
			return timing{}, errors.New("DURATION unreadable")
		}
		if t.allDay {
			t.days = int(d.Hours() / 24)
		} else {
			t.duration = d
		}
	case fallback != nil && fallback.allDay == t.allDay:
		t.duration, t.days = fallback.duration, fallback.days
	case t.allDay:
		t.days = 1
	}
	if t.duration < 0 || t.days < 0 {
		return timing{}, errors.New("ends before it starts")
	}
	if t.allDay && t.days == 0 {
		t.days = 1
	}
	return t, nil
}

// span returns the UTC start and end of the occurrence starting at wall.
func (t timing) span(wall time.Time) (time.Time, time.Time) {
	if t.allDay {
		return wall, wall.AddDate(0, 0, t.days)
	}
	start := t.start.zone.instant(wall)
	return start, start.Add(t.duration)
}

func (p *parser) series(s *series) ([]connectors.Event, error) {
	var out []connectors.Event
	overridden := map[time.Time]bool{}
	var masterTiming *timing
	if s.master != nil {
		if isCancelled(s.master) {
			return nil, nil
		}
		t, err := p.timing(s.master, nil)
		if err != nil {
			return nil, invalid("event %d: %v", s.index, err)
		}
		masterTiming = &t
		for _, o := range s.overrides {
			rid, err := p.stamp(o.Props.Get(goical.PropRecurrenceID))
			if err != nil {
				return nil, invalid("event %d: RECURRENCE-ID: %v", s.index, err)
			}
			overridden[rid.key()] = true
		}
		walls, err := p.expand(s.master, t)
		if err != nil {
			return nil, invalid("event %d: %v", s.index, err)
		}
		base := p.event(s.master, t)
		base.Recurring = len(walls) > 1 || isRecurring(s.master)
		for _, w := range walls {
			if overridden[t.start.at(w).key()] {
				continue
			}
			ev := base
			ev.Start, ev.End = t.span(w)
			if p.overlaps(ev.Start, ev.End) {
				out = append(out, ev)
			}
			if len(out) >= p.opt.MaxOccurrences {
				break
			}
		}
	}
	for _, o := range s.overrides {
		if isCancelled(o) || len(out) >= p.opt.MaxOccurrences {
			continue
		}
		t, err := p.timing(o, masterTiming)
		if err != nil {
			return nil, invalid("event %d: override: %v", s.index, err)
		}
		ev := p.event(o, t)
		ev.Recurring = true
		ev.Start, ev.End = t.span(t.start.wall)
		if p.overlaps(ev.Start, ev.End) {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (p *parser) overlaps(start, end time.Time) bool {
	if end.Equal(start) {
		return !start.Before(p.opt.From) && start.Before(p.opt.To)
	}
	return start.Before(p.opt.To) && end.After(p.opt.From)
}

func (p *parser) event(c *goical.Component, t timing) connectors.Event {
	ev := connectors.Event{
		UID:         propValue(c, goical.PropUID),
		Summary:     propText(c, goical.PropSummary),
		Description: propText(c, goical.PropDescription),
		Location:    propText(c, goical.PropLocation),
		AllDay:      t.allDay,
		Organizer:   address(propValue(c, goical.PropOrganizer)),
	}
	if !t.allDay {
		ev.TimeZone = t.start.zone.name
	}
	for _, a := range c.Props.Values(goical.PropAttendee) {
		if addr := address(a.Value); addr != "" {
			ev.Attendees = append(ev.Attendees, addr)
		}
	}
	return ev
}

func isCancelled(c *goical.Component) bool {
	return strings.EqualFold(propValue(c, goical.PropStatus), "CANCELLED")
}

func isRecurring(c *goical.Component) bool {
	return c.Props.Get(goical.PropRecurrenceRule) != nil || c.Props.Get(goical.PropRecurrenceDates) != nil
}

func propValue(c *goical.Component, name string) string {
	if p := c.Props.Get(name); p != nil {
		return strings.TrimSpace(p.Value)
	}
	return ""
}

func propText(c *goical.Component, name string) string {
	p := c.Props.Get(name)
	if p == nil {
		return ""
	}
	s, err := p.Text()
	if err != nil {
		return p.Value
	}
	return s
}

// address strips the mailto: scheme of an organizer or attendee.
func address(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		v = v[7:]
	}
	return v
}
