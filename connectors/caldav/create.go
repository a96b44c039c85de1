package caldav

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	goical "github.com/emersion/go-ical"
	"github.com/google/uuid"

	"confidant/connectors"
)

// CreateEvent stores a confirmed event as a new calendar object in the
// calendar named by e.Calendar (its display name or path), or else the
// first calendar, and returns its href. Timed events are written in
// e.TimeZone when it is an IANA zone, else in UTC; all-day events as
// dates (Start's and End's UTC dates, End exclusive). The PUT carries
// If-None-Match: * so that nothing existing is overwritten.
func (s *Source) CreateEvent(ctx context.Context, e connectors.Event) (string, error) {
	cal, err := s.createTarget(ctx, e.Calendar)
	if err != nil {
		return "", classify(err)
	}
	uid := uuid.NewString() + "@confidant"
	data, err := encodeEvent(e, uid, s.opt.Now())
	if err != nil {
		return "", err
	}
	href := cal.Path + uid + ".ics"
	resp, err := s.request(ctx, http.MethodPut, href, bytes.NewReader(data), map[string]string{
		"Content-Type":  "text/calendar; charset=utf-8",
		"If-None-Match": "*",
	})
	if err != nil {
		var se *statusError
		if errors.As(err, &se) && se.Status == http.StatusPreconditionFailed {
			return "", &connectors.Error{Code: "server", Message: "The calendar already holds an event at this address; nothing was changed.", Err: err}
		}
		return "", classify(err)
	}
	resp.Body.Close()
	return href, nil
}

func (s *Source) createTarget(ctx context.Context, name string) (calendar, error) {
	cals, err := s.discover(ctx)
	if err != nil {
		return calendar{}, err
	}
	if name == "" {
		return cals[0], nil
	}
	for _, c := range cals {
		if c.Name == name || c.Path == withSlash(name) {
			return c, nil
		}
	}
	return calendar{}, &connectors.Error{Code: "not_found", Message: "The account has no calendar of that name."}
}

// encodeEvent builds the VCALENDAR of a new event.
func encodeEvent(e connectors.Event, uid string, now time.Time) ([]byte, error) {
	if e.Start.IsZero() {
		return nil, errors.New("caldav: event without a start")
	}
	if e.End.Before(e.Start) {
		return nil, errors.New("caldav: event ends before it starts")
	}
	cal := goical.NewCalendar()
	cal.Props.SetText(goical.PropProductID, "-//Confidant//CalDAV//EN")
	cal.Props.SetText(goical.PropVersion, "2.0")

	ev := goical.NewEvent()
	ev.Props.SetText(goical.PropUID, uid)
	ev.Props.SetDateTime(goical.PropDateTimeStamp, now.UTC())
	switch {
	case e.AllDay:
		start := e.Start.UTC().Truncate(24 * time.Hour)
		end := e.End.UTC().Truncate(24 * time.Hour)
		if !end.After(start) {
			end = start.AddDate(0, 0, 1)
		}
		ev.Props.SetDate(goical.PropDateTimeStart, start)
		ev.Props.SetDate(goical.PropDateTimeEnd, end)
	default:
		loc := time.UTC
		if e.TimeZone != "" {
			if l, err := time.LoadLocation(e.TimeZone); err == nil && e.TimeZone != "Local" {
				loc = l
			}
		}
		ev.Props.SetDateTime(goical.PropDateTimeStart, e.Start.In(loc))
		ev.Props.SetDateTime(goical.PropDateTimeEnd, e.End.In(loc))
		if loc != time.UTC {
			cal.Children = append(cal.Children, vtimezone(loc, e.Start))
		}
	}
	if e.Summary != "" {
		ev.Props.SetText(goical.PropSummary, e.Summary)
	}
	if e.Description != "" {
		ev.Props.SetText(goical.PropDescription, e.Description)
	}
	if e.Location != "" {
		ev.Props.SetText(goical.PropLocation, e.Location)
	}
	if e.Organizer != "" {
		p := goical.NewProp(goical.PropOrganizer)
		p.Value = "mailto:" + e.Organizer
		ev.Props.Add(p)
	}
	for _, a := range e.Attendees {
		p := goical.NewProp(goical.PropAttendee)
		p.Value = "mailto:" + a
		ev.Props.Add(p)
	}
	cal.Children = append(cal.Children, ev.Component)

	var buf bytes.Buffer
	if err := goical.NewEncoder(&buf).Encode(cal); err != nil {
		return nil, fmt.Errorf("caldav: encode event: %w", err)
	}
	return buf.Bytes(), nil
}

// vtimezone describes loc around at: the offset in force and the
// transitions of at's year, which is all a single event needs.
func vtimezone(loc *time.Location, at time.Time) *goical.Component {
	tz := goical.NewComponent(goical.CompTimezone)
	tz.Props.SetText(goical.PropTimezoneID, loc.String())
	year := at.In(loc).Year()
	t := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	observances := 0
	for range 4 {
		_, end := t.ZoneBounds()
		if end.IsZero() || end.Year() > year {
			break
		}
		_, before := t.Zone()
		name, after := end.Zone()
		kind := goical.CompTimezoneStandard
		if end.IsDST() {
			kind = goical.CompTimezoneDaylight
		}
		tz.Children = append(tz.Children, observance(kind, name, end.UTC().Add(time.Duration(before)*time.Second), before, after))
		observances++
		t = end
	}
	if observances == 0 {
		name, off := at.In(loc).Zone()
		tz.Children = append(tz.Children, observance(goical.CompTimezoneStandard, name, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), off, off))
	}
	return tz
}

func observance(kind, name string, onsetWall time.Time, from, to int) *goical.Component {
	c := goical.NewComponent(kind)
	start := goical.NewProp(goical.PropDateTimeStart)
	start.Value = onsetWall.Format("20060102T150405")
	c.Props.Set(start)
	for name, value := range map[string]string{goical.PropTimezoneOffsetFrom: offset(from), goical.PropTimezoneOffsetTo: offset(to)} {
		p := goical.NewProp(name)
		p.Value = value
		c.Props.Set(p)
	}
	if name != "" && !strings.ContainsAny(name, "+-") {
		c.Props.SetText(goical.PropTimezoneName, name)
	}
	return c
}

func offset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	return fmt.Sprintf("%c%02d%02d", sign, sec/3600, sec%3600/60)
}
