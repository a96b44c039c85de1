package ical

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones even where the image has no zoneinfo

	goical "github.com/emersion/go-ical"
)

// Times are handled as wall clocks: a DATE-TIME's digits as a UTC
// time.Time, with the zone that turns them into an instant. Recurrence
// rules are expanded on wall clocks, so an event at 09:00 stays at 09:00
// local time across a daylight saving change.

const (
	wallLayout = "20060102T150405"
	dateLayout = "20060102"
)

// stamp is one DATE or DATE-TIME value.
type stamp struct {
	wall time.Time // the digits, as UTC
	date bool
	zone *zone // nil for dates
}

// instant is the UTC instant of a date-time, or 00:00 UTC of a date.
func (s stamp) instant() time.Time {
	if s.date {
		return s.wall
	}
	return s.zone.instant(s.wall)
}

// at returns the same kind of value at another wall clock.
func (s stamp) at(wall time.Time) stamp {
	s.wall = wall
	return s
}

// key identifies an occurrence, to match RECURRENCE-ID and EXDATE.
func (s stamp) key() time.Time { return s.instant() }

// zone turns wall clocks into instants and back.
type zone struct {
	name string         // IANA name for Event.TimeZone; "" for UTC, floating and VTIMEZONE-only zones
	loc  *time.Location // nil when vtz is set
	vtz  *vtimezone
}

var utcZone = &zone{loc: time.UTC}

func (z *zone) instant(wall time.Time) time.Time {
	if z.vtz != nil {
		return z.vtz.instant(wall)
	}
	y, mo, d := wall.Date()
	h, mi, s := wall.Clock()
	return time.Date(y, mo, d, h, mi, s, 0, z.loc).UTC()
}

func (z *zone) wallOf(instant time.Time) time.Time {
	if z.vtz != nil {
		return z.vtz.wallOf(instant)
	}
	l := instant.In(z.loc)
	y, mo, d := l.Date()
	h, mi, s := l.Clock()
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

// stamp reads the first value of a date or date-time property.
func (p *parser) stamp(prop *goical.Prop) (stamp, error) {
	if prop == nil {
		return stamp{}, errors.New("missing")
	}
	vals, err := p.stamps(prop)
	if err != nil {
		return stamp{}, err
	}
	return vals[0], nil
}

// stamps reads every value of a (possibly comma-separated) date or
// date-time property, such as EXDATE or RDATE.
func (p *parser) stamps(prop *goical.Prop) ([]stamp, error) {
	var out []stamp
	for _, v := range strings.Split(prop.Value, ",") {
		v = strings.TrimSpace(v)
		if i := strings.IndexByte(v, '/'); i >= 0 { // PERIOD: its start
			v = v[:i]
		}
		s, err := p.parseStamp(v, prop.Params)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, errors.New("no value")
	}
	return out, nil
}

func (p *parser) parseStamp(v string, params goical.Params) (stamp, error) {
	if strings.EqualFold(params.Get(goical.ParamValue), string(goical.ValueDate)) || len(v) == len(dateLayout) {
		d, err := time.ParseInLocation(dateLayout, v, time.UTC)
		if err != nil {
			return stamp{}, errors.New("unreadable date")
		}
		return stamp{wall: d, date: true}, nil
	}
	utc := strings.HasSuffix(v, "Z") || strings.HasSuffix(v, "z")
	v = strings.TrimRight(v, "Zz")
	w, err := time.ParseInLocation(wallLayout, v, time.UTC)
	if err != nil {
		return stamp{}, errors.New("unreadable date-time")
	}
	switch {
	case utc:
		return stamp{wall: w, zone: utcZone}, nil
	case params.Get(goical.PropTimezoneID) != "":
		return stamp{wall: w, zone: p.zone(params.Get(goical.PropTimezoneID))}, nil
	default:
		return stamp{wall: w, zone: p.floating()}, nil
	}
}

func (p *parser) floating() *zone {
	if z := p.zones["\x00floating"]; z != nil {
		return z
	}
	z := &zone{loc: p.opt.Floating}
	p.zones["\x00floating"] = z
	return z
}

// zone resolves a TZID: an IANA name (also behind a "/vendor/" prefix), a
// Windows zone name, or the object's VTIMEZONE. An unknown TZID is read as
// floating time.
func (p *parser) zone(tzid string) *zone {
	if z := p.zones[tzid]; z != nil {
		return z
	}
	z := p.resolve(tzid)
	p.zones[tzid] = z
	return z
}

func (p *parser) resolve(tzid string) *zone {
	if loc, name := ianaLocation(tzid); loc != nil {
		return &zone{name: name, loc: loc}
	}
	if name, ok := windowsZones[strings.TrimSpace(tzid)]; ok {
		if loc, name := ianaLocation(name); loc != nil {
			return &zone{name: name, loc: loc}
		}
	}
	if vt := p.vtimezones[tzid]; vt != nil {
		if loc, name := ianaLocation(propValue(vt, "X-LIC-LOCATION")); loc != nil {
			return &zone{name: name, loc: loc}
		}
		if v, err := p.buildVTimezone(vt); err == nil {
			return &zone{vtz: v}
		}
	}
	return p.floating()
}

// ianaLocation loads an IANA zone, trying the name without leading path
// segments ("/mozilla.org/20050126_1/Europe/Berlin"). UTC is named "".
func ianaLocation(tzid string) (*time.Location, string) {
	name := strings.Trim(strings.TrimSpace(tzid), "/")
	for name != "" {
		if name != "Local" && !strings.ContainsAny(name, " \\") {
			if loc, err := time.LoadLocation(name); err == nil {
				if loc.String() == "UTC" || name == "UTC" || name == "Etc/UTC" || name == "GMT" {
					return time.UTC, ""
				}
				return loc, name
			}
		}
		i := strings.IndexByte(name, '/')
		if i < 0 {
			break
		}
		name = name[i+1:]
	}
	return nil, ""
}

// vtimezone is a zone known only from its VTIMEZONE definition.
type vtimezone struct {
	initial     time.Duration // the offset before the first transition
	transitions []transition  // by instant
}

type transition struct {
	onset   time.Time // wall clock, in the offset before it
	instant time.Time
	offset  time.Duration // the offset from it on
}

// maxTransitions bounds what one VTIMEZONE may expand to.
const maxTransitions = 4000

func (p *parser) buildVTimezone(vt *goical.Component) (*vtimezone, error) {
	until := time.Date(p.opt.To.Year()+2, 1, 1, 0, 0, 0, 0, time.UTC)
	v := &vtimezone{}
	for _, obs := range vt.Children {
		if obs.Name != goical.CompTimezoneStandard && obs.Name != goical.CompTimezoneDaylight {
			continue
		}
		from, err1 := parseOffset(propValue(obs, goical.PropTimezoneOffsetFrom))
		to, err2 := parseOffset(propValue(obs, goical.PropTimezoneOffsetTo))
		startProp := obs.Props.Get(goical.PropDateTimeStart)
		if err1 != nil || err2 != nil || startProp == nil {
			return nil, errors.New("VTIMEZONE observance incomplete")
		}
		start, err := time.ParseInLocation(wallLayout, strings.TrimRight(startProp.Value, "Zz"), time.UTC)
		if err != nil {
			return nil, errors.New("VTIMEZONE DTSTART unreadable")
		}
		onsets := []time.Time{start}
		for _, r := range obs.Props.Values(goical.PropRecurrenceRule) {
			fixedZone := &zone{loc: time.FixedZone("", int(from.Seconds()))}
			next, err := ruleIterator(r.Value, start, false, fixedZone, p.opt.From.AddDate(-2, 0, 0))
			if err != nil {
				return nil, err
			}
			for i := 0; i < maxTransitions; i++ {
				t, ok := next()
				if !ok || !t.Before(until) {
					break
				}
				onsets = append(onsets, t)
			}
		}
		for _, r := range obs.Props.Values(goical.PropRecurrenceDates) {
			for _, s := range strings.Split(r.Value, ",") {
				if t, err := time.ParseInLocation(wallLayout, strings.TrimRight(strings.TrimSpace(s), "Zz"), time.UTC); err == nil {
					onsets = append(onsets, t)
				}
			}
		}
		for _, o := range onsets {
			if len(v.transitions) >= maxTransitions {
				return nil, errors.New("VTIMEZONE too large")
			}
			v.transitions = append(v.transitions, transition{onset: o, instant: o.Add(-from), offset: to})
		}
	}
	if len(v.transitions) == 0 {
		return nil, errors.New("VTIMEZONE without observances")
	}
	sort.Slice(v.transitions, func(i, j int) bool { return v.transitions[i].instant.Before(v.transitions[j].instant) })
	first := v.transitions[0]
	v.initial = first.onset.Sub(first.instant) // its TZOFFSETFROM
	return v, nil
}

func (v *vtimezone) instant(wall time.Time) time.Time {
	off := v.initial
	for _, t := range v.transitions {
		if t.onset.After(wall) {
			break
		}
		off = t.offset
	}
	return wall.Add(-off)
}

func (v *vtimezone) wallOf(instant time.Time) time.Time {
	off := v.initial
	for _, t := range v.transitions {
		if t.instant.After(instant) {
			break
		}
		off = t.offset
	}
	return instant.Add(off)
}

// parseOffset reads a UTC offset such as "+0100", "-0500" or "+053000".
func parseOffset(s string) (time.Duration, error) {
	if len(s) != 5 && len(s) != 7 || (s[0] != '+' && s[0] != '-') {
		return 0, fmt.Errorf("bad offset")
	}
	var parts [3]int
	for i := 0; i*2+1 < len(s); i++ {
		n, err := strconv.Atoi(s[1+i*2 : 3+i*2])
		if err != nil {
			return 0, fmt.Errorf("bad offset")
		}
		parts[i] = n
	}
	d := time.Duration(parts[0])*time.Hour + time.Duration(parts[1])*time.Minute + time.Duration(parts[2])*time.Second
	if s[0] == '-' {
		d = -d
	}
	return d, nil
}
