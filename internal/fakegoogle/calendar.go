package fakegoogle

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []*Event
	if tok := q.Get("syncToken"); tok != "" {
		if q.Get("timeMin") != "" || q.Get("timeMax") != "" {
			apiError(w, http.StatusBadRequest, "global", "invalid", "Sync token cannot be used with timeMin or timeMax.", "INVALID_ARGUMENT")
			return
		}
		since, err := strconv.ParseUint(strings.TrimPrefix(tok, "CPDAlvWDx_sCEPDAlvWDx_sCGAU="), 10, 64)
		if err != nil || since < s.minSync {
			apiError(w, http.StatusGone, "calendar", "fullSyncRequired", "Sync token is no longer valid, a full sync is required.", "GONE")
			return
		}
		for _, e := range s.events {
			if e.seq > since {
				items = append(items, e)
			}
		}
	} else {
		from, to := parseTime(q.Get("timeMin")), parseTime(q.Get("timeMax"))
		for _, e := range s.events {
			start, end := e.Start.parse(), e.End.parse()
			if e.Status != "cancelled" && (from.IsZero() || end.After(from)) && (to.IsZero() || start.Before(to)) {
				items = append(items, e)
			}
		}
		slices.SortStableFunc(items, func(a, b *Event) int { return a.Start.parse().Compare(b.Start.parse()) })
	}
	page, next, ok := paginate(items, r, 250, 2500)
	if !ok {
		apiError(w, http.StatusBadRequest, "global", "invalid", "Invalid pageToken", "INVALID_ARGUMENT")
		return
	}
	body := map[string]any{"kind": "calendar#events", "summary": s.Account, "timeZone": "UTC", "items": page}
	if next != "" {
		body["nextPageToken"] = next
	} else {
		body["nextSyncToken"] = "CPDAlvWDx_sCEPDAlvWDx_sCGAU=" + strconv.FormatUint(s.eventSeq, 10)
	}
	writeJSON(w, body)
}

func (s *Server) insertEvent(w http.ResponseWriter, r *http.Request) {
	var e Event
	if err := json.NewDecoder(r.Body).Decode(&e); err != nil || (e.Start.Date == "" && e.Start.DateTime == "") || (e.End.Date == "" && e.End.DateTime == "") {
		apiError(w, http.StatusBadRequest, "global", "required", "Missing end time.", "INVALID_ARGUMENT")
		return
	}
	e.ID = ""
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.putEvent(e)
	stored := *s.events[slices.IndexFunc(s.events, func(x *Event) bool { return x.ID == id })]
	writeJSON(w, stored)
}

func (t EventTime) parse() time.Time {
	if t.DateTime != "" {
		return parseTime(t.DateTime)
	}
	d, _ := time.Parse(time.DateOnly, t.Date)
	return d
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}
