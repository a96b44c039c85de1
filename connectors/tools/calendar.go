package tools

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"confidant/connectors"
	"confidant/store"
)

// eventView is an occurrence as list_events returns it.
type eventView struct {
	ID          string   `json:"id"`
	Account     string   `json:"account"`
	Calendar    string   `json:"calendar,omitempty"`
	Summary     string   `json:"summary"`
	Start       string   `json:"start"`
	End         string   `json:"end"`
	AllDay      bool     `json:"all_day,omitempty"`
	Location    string   `json:"location,omitempty"`
	Description string   `json:"description,omitempty"`
	Organizer   string   `json:"organizer,omitempty"`
	Attendees   []string `json:"attendees,omitempty"`
	Recurring   bool     `json:"recurring,omitempty"`
}

// events returns the occurrences overlapping [from, to) of the accounts
// the call may touch.
func (c *call) events(from, to time.Time) ([]connectors.StoredEvent, error) {
	found, err := c.e.reader.Events(c.ctx, c.userID, from, to)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	var out []connectors.StoredEvent
	for _, ev := range found {
		if _, ok := c.connector(ev.ConnectorID); ok && ev.End.After(from) && ev.Start.Before(to) {
			out = append(out, ev)
		}
	}
	slices.SortStableFunc(out, func(a, b connectors.StoredEvent) int { return a.Start.Compare(b.Start) })
	return out, nil
}

func (c *call) listEvents() (any, error) {
	var a struct {
		From     string `json:"from"`
		To       string `json:"to"`
		TimeZone string `json:"time_zone"`
	}
	if err := c.decode(&a); err != nil {
		return nil, err
	}
	loc, err := c.zone(a.TimeZone)
	if err != nil {
		return nil, err
	}
	from, to, err := span(a.From, a.To, 1, c.e.opt.Now(), loc)
	if err != nil {
		return nil, err
	}
	found, err := c.events(from, to)
	if err != nil {
		return nil, err
	}
	list := []eventView{}
	for _, ev := range found {
		info, _ := c.connector(ev.ConnectorID)
		v := eventView{ID: ev.ID.String(), Account: truncate(info.Name, maxFieldRunes), Calendar: truncate(ev.Calendar, maxFieldRunes),
			Summary: truncate(ev.Summary, maxFieldRunes), AllDay: ev.AllDay, Location: truncate(ev.Location, maxFieldRunes),
			Description: truncate(ev.Description, maxSnippetRunes), Organizer: truncate(ev.Organizer, maxFieldRunes),
			Attendees: boundList(ev.Attendees), Recurring: ev.Recurring}
		if ev.AllDay {
			v.Start, v.End = ev.Start.UTC().Format(time.DateOnly), ev.End.UTC().Format(time.DateOnly)
		} else {
			v.Start, v.End = ev.Start.In(loc).Format(time.RFC3339), ev.End.In(loc).Format(time.RFC3339)
		}
		list = append(list, v)
		if len(list) == maxEvents {
			break
		}
	}
	list, cut := fitList(list, MaxResultBytes-1024)
	return map[string]any{"from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339), "time_zone": loc.String(),
		"events": list, "truncated": cut || len(found) > len(list)}, nil
}

// slot is a free interval.
type slot struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

func (c *call) findFreeTime() (any, error) {
	var a struct {
		From      string `json:"from"`
		To        string `json:"to"`
		Duration  *int   `json:"duration_minutes"`
		WorkStart string `json:"work_start"`
		WorkEnd   string `json:"work_end"`
		TimeZone  string `json:"time_zone"`
	}
	if err := c.decode(&a); err != nil {
		return nil, err
	}
	loc, err := c.zone(a.TimeZone)
	if err != nil {
		return nil, err
	}
	duration := 30
	if a.Duration != nil {
		if *a.Duration < 5 || *a.Duration > 720 {
			return nil, failf("duration_minutes must be from 5 to 720")
		}
		duration = *a.Duration
	}
	startMin, ok1 := clock(a.WorkStart, 9*60)
	endMin, ok2 := clock(a.WorkEnd, 17*60)
	if !ok1 || !ok2 || endMin <= startMin {
		return nil, failf("working hours must be HH:MM, work_start before work_end")
	}
	now := c.e.opt.Now()
	from, to, err := span(a.From, a.To, 7, now, loc)
	if err != nil {
		return nil, err
	}
	found, err := c.events(from, to)
	if err != nil {
		return nil, err
	}
	var busy [][2]time.Time
	for _, ev := range found {
		if !ev.AllDay { // all-day events (holidays, birthdays) do not fill the day
			busy = append(busy, [2]time.Time{ev.Start, ev.End})
		}
	}
	need := time.Duration(duration) * time.Minute
	slots := []slot{}
	for day := from.In(loc); day.Before(to) && len(slots) < maxListed; day = nextDay(day, loc) {
		y, m, d := day.Date()
		ws := time.Date(y, m, d, startMin/60, startMin%60, 0, 0, loc)
		we := time.Date(y, m, d, endMin/60, endMin%60, 0, 0, loc)
		ws, we = latest(ws, from, now), earliest(we, to)
		for _, gap := range subtract(ws, we, busy) {
			if gap[1].Sub(gap[0]) >= need && len(slots) < maxListed {
				slots = append(slots, slot{Start: gap[0].In(loc).Format(time.RFC3339), End: gap[1].In(loc).Format(time.RFC3339)})
			}
		}
	}
	return map[string]any{"time_zone": loc.String(), "duration_minutes": duration, "free": slots}, nil
}

func latest(ts ...time.Time) time.Time {
	out := ts[0]
	for _, t := range ts[1:] {
		if t.After(out) {
			out = t
		}
	}
	return out
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// subtract returns the parts of [start, end) that no busy interval covers.
func subtract(start, end time.Time, busy [][2]time.Time) [][2]time.Time {
	if !end.After(start) {
		return nil
	}
	free := [][2]time.Time{{start, end}}
	for _, b := range busy {
		var next [][2]time.Time
		for _, f := range free {
			if !b[0].Before(f[1]) || !b[1].After(f[0]) {
				next = append(next, f)
				continue
			}
			if b[0].After(f[0]) {
				next = append(next, [2]time.Time{f[0], b[0]})
			}
			if b[1].Before(f[1]) {
				next = append(next, [2]time.Time{b[1], f[1]})
			}
		}
		free = next
	}
	return free
}

// maxEventLength bounds a proposed event.
const maxEventLength = 14 * 24 * time.Hour

func (c *call) proposeEvent() (any, error) {
	var a struct {
		Summary     string `json:"summary"`
		Start       string `json:"start"`
		End         string `json:"end"`
		Location    string `json:"location"`
		Description string `json:"description"`
		ConnectorID string `json:"connector_id"`
		TimeZone    string `json:"time_zone"`
	}
	if err := c.decode(&a); err != nil {
		return nil, err
	}
	a.Summary = strings.TrimSpace(a.Summary)
	switch {
	case a.Summary == "":
		return nil, failf("summary must not be empty")
	case len([]rune(a.Summary)) > 200, len([]rune(a.Location)) > 500, len([]rune(a.Description)) > 5000:
		return nil, failf("summary (200), location (500) or description (5000 characters) is too long")
	}
	loc, err := c.zone(a.TimeZone)
	if err != nil {
		return nil, err
	}
	now := c.e.opt.Now()
	start, ok1 := parseMoment(a.Start, now, loc)
	end, ok2 := parseMoment(a.End, now, loc)
	if !ok1 || !ok2 || start.Day || end.Day {
		return nil, failf("start and end must be times: RFC 3339 or YYYY-MM-DDTHH:MM")
	}
	if !end.At.After(start.At) || end.At.Sub(start.At) > maxEventLength {
		return nil, failf("end must be after start, within 14 days")
	}
	info, err := c.calendarFor(a.ConnectorID)
	if err != nil {
		return nil, err
	}
	ev := connectors.Event{Summary: a.Summary, Location: a.Location, Description: a.Description,
		Start: start.At.UTC(), End: end.At.UTC(), TimeZone: zoneName(loc)}
	p, err := c.propose(info.ID, store.ProposalEvent, ev)
	if err != nil {
		return nil, err
	}
	return map[string]any{"proposal_id": p.ID.String(), "status": p.Status, "account": truncate(info.Name, maxFieldRunes),
		"summary": truncate(a.Summary, maxFieldRunes), "start": start.At.In(loc).Format(time.RFC3339), "end": end.At.In(loc).Format(time.RFC3339),
		"note": "The user sees this event as a card and decides. Nothing is added unless they confirm."}, nil
}

// calendarFor picks the calendar account of a proposed event: the one
// named, or the only one there is.
func (c *call) calendarFor(id string) (connectors.Info, error) {
	if id != "" {
		cid, err := uuid.Parse(strings.TrimSpace(id))
		if err != nil {
			return connectors.Info{}, failf("connector_id is not an id")
		}
		info, ok := c.connector(cid)
		if !ok {
			return connectors.Info{}, failf("connector_id is not a calendar account that allows proposals")
		}
		return info, nil
	}
	if len(c.allowed) == 1 {
		return c.allowed[0], nil
	}
	var choices []string
	for _, i := range c.allowed {
		choices = append(choices, fmt.Sprintf("%s (%s)", i.ID, truncate(i.Name, maxFieldRunes)))
	}
	return connectors.Info{}, failf("the user has several calendar accounts; give connector_id, one of: %s", strings.Join(choices, ", "))
}

// zoneName is an event's zone as stored: "" for UTC.
func zoneName(loc *time.Location) string {
	if loc == time.UTC {
		return ""
	}
	return loc.String()
}
