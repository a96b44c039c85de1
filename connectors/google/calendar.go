package google

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"confidant/connectors"
)

type eventTime struct {
	Date     string `json:"date,omitempty"`
	DateTime string `json:"dateTime,omitempty"`
	TimeZone string `json:"timeZone,omitempty"`
}

type person struct {
	Email string `json:"email"`
}

type event struct {
	ID               string    `json:"id,omitempty"`
	Status           string    `json:"status,omitempty"`
	Summary          string    `json:"summary,omitempty"`
	Description      string    `json:"description,omitempty"`
	Location         string    `json:"location,omitempty"`
	Start            eventTime `json:"start"`
	End              eventTime `json:"end"`
	RecurringEventID string    `json:"recurringEventId,omitempty"`
	ICalUID          string    `json:"iCalUID,omitempty"`
	Organizer        *person   `json:"organizer,omitempty"`
	Attendees        []person  `json:"attendees,omitempty"`
}

type eventList struct {
	Items         []event `json:"items"`
	NextPageToken string  `json:"nextPageToken"`
	NextSyncToken string  `json:"nextSyncToken"`
}

// syncCalendar brings c.Calendar up to date: by syncToken when it has one
// (410 Gone for it is errStartOver), else by listing the window's
// occurrences.
func (s *Source) syncCalendar(ctx context.Context, c *cursor, sink connectors.Sink) error {
	done := 0
	for {
		full := c.Calendar.SyncToken == "" || c.Calendar.TimeMin != ""
		q := url.Values{"singleEvents": {"true"}, "maxResults": {strconv.Itoa(s.opts.PageSize)}}
		if full {
			if c.Calendar.TimeMin == "" {
				now := s.opts.Now().UTC()
				c.Calendar = calendarCursor{TimeMin: now.Add(-s.opts.Past).Format(time.RFC3339), TimeMax: now.Add(s.opts.Future).Format(time.RFC3339)}
			}
			q.Set("timeMin", c.Calendar.TimeMin)
			q.Set("timeMax", c.Calendar.TimeMax)
		} else {
			q.Set("syncToken", c.Calendar.SyncToken)
		}
		if c.Calendar.PageToken != "" {
			q.Set("pageToken", c.Calendar.PageToken)
		}
		var list eventList
		err := s.call(ctx, http.MethodGet, s.ep.calendar+"/calendars/primary/events?"+q.Encode(), nil, &list)
		if errors.Is(err, errGone) && !full {
			return errStartOver
		}
		if err != nil {
			return s.orServer(err)
		}
		var b connectors.Batch
		for _, e := range list.Items {
			if e.Status == "cancelled" {
				b.Removed = append(b.Removed, e.ID)
				continue
			}
			if ev, ok := toEvent(e); ok {
				b.Events = append(b.Events, ev)
			}
		}
		if list.NextPageToken != "" {
			c.Calendar.PageToken = list.NextPageToken
		} else {
			c.Calendar = calendarCursor{SyncToken: list.NextSyncToken}
		}
		b.Cursor = c.encode()
		done += len(list.Items)
		b.Progress = connectors.Progress{Done: done}
		if err := sink.Apply(ctx, b); err != nil {
			return err
		}
		if list.NextPageToken == "" {
			return nil
		}
	}
}

// toEvent maps a Calendar API event; ok is false for one without times.
// Each instance of a recurring event is its own resource (its instance
// id), so a changed occurrence replaces only itself.
func toEvent(e event) (connectors.Event, bool) {
	out := connectors.Event{Resource: e.ID, Calendar: "primary", UID: e.ICalUID, Summary: e.Summary, Description: e.Description,
		Location: e.Location, Recurring: e.RecurringEventID != "", TimeZone: e.Start.TimeZone}
	if e.Organizer != nil {
		out.Organizer = e.Organizer.Email
	}
	for _, a := range e.Attendees {
		out.Attendees = append(out.Attendees, a.Email)
	}
	var err1, err2 error
	if e.Start.Date != "" {
		out.AllDay = true
		out.Start, err1 = time.Parse(time.DateOnly, e.Start.Date)
		out.End, err2 = time.Parse(time.DateOnly, e.End.Date)
	} else {
		out.Start, err1 = time.Parse(time.RFC3339, e.Start.DateTime)
		out.End, err2 = time.Parse(time.RFC3339, e.End.DateTime)
	}
	if err1 != nil || err2 != nil {
		return connectors.Event{}, false
	}
	out.Start, out.End = out.Start.UTC(), out.End.UTC()
	return out, true
}

// CreateEvent adds a confirmed event to the primary calendar.
func (s *Source) CreateEvent(ctx context.Context, e connectors.Event) (string, error) {
	in := event{Summary: e.Summary, Description: e.Description, Location: e.Location}
	if e.AllDay {
		in.Start = eventTime{Date: e.Start.UTC().Format(time.DateOnly)}
		in.End = eventTime{Date: e.End.UTC().Format(time.DateOnly)}
	} else {
		zone := e.TimeZone
		if zone == "" {
			zone = "UTC"
		}
		in.Start = eventTime{DateTime: e.Start.UTC().Format(time.RFC3339), TimeZone: zone}
		in.End = eventTime{DateTime: e.End.UTC().Format(time.RFC3339), TimeZone: zone}
	}
	for _, a := range e.Attendees {
		in.Attendees = append(in.Attendees, person{Email: a})
	}
	var out event
	if err := s.call(ctx, http.MethodPost, s.ep.calendar+"/calendars/primary/events", in, &out); err != nil {
		return "", s.orServer(err)
	}
	return out.ID, nil
}
