package fakegraph

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
		"id": "87d349ed-44d7-43e1-9a83-5f2406dee5bd", "displayName": "Alice", "mail": s.Account, "userPrincipalName": s.Account})
}

func encodeToken(st deltaState) string {
	b, _ := json.Marshal(st)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(tok string) (deltaState, bool) {
	var st deltaState
	b, err := base64.RawURLEncoding.DecodeString(tok)
	return st, err == nil && json.Unmarshal(b, &st) == nil
}

func (s *Server) messageDelta(w http.ResponseWriter, r *http.Request) {
	if f := r.PathValue("folder"); !strings.EqualFold(f, "inbox") {
		graphError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		return
	}
	s.delta(w, r, &s.messages, nil)
}

func (s *Server) eventDelta(w http.ResponseWriter, r *http.Request) {
	s.delta(w, r, &s.events, func(st *deltaState, it *item) bool {
		start, end := dateTimeOf(it.Body["start"]), dateTimeOf(it.Body["end"])
		from, _ := time.Parse(time.RFC3339, st.Start)
		to, _ := time.Parse(time.RFC3339, st.End)
		return end.After(from) && start.Before(to)
	})
}

// delta serves a delta query: a first round (no token) sends every item,
// a round from a delta token sends what changed since, deletions as
// @removed; pages link with $skiptoken, the last page has a $deltatoken.
func (s *Server) delta(w http.ResponseWriter, r *http.Request, list *[]*item, inWindow func(*deltaState, *item) bool) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	var st deltaState
	switch {
	case q.Get("$deltatoken") != "":
		var ok bool
		if st, ok = decodeToken(q.Get("$deltatoken")); !ok || st.Since < s.minDelta {
			graphError(w, http.StatusGone, "SyncStateNotFound", "The sync state generation is not found. Please start the sync over.")
			return
		}
		st.Upto, st.Offset = s.seq, 0
	case q.Get("$skiptoken") != "":
		var ok bool
		if st, ok = decodeToken(q.Get("$skiptoken")); !ok {
			graphError(w, http.StatusBadRequest, "BadRequest", "Invalid skip token.")
			return
		}
	default:
		st = deltaState{Upto: s.seq}
		if inWindow != nil {
			st.Start, st.End = q.Get("startDateTime"), q.Get("endDateTime")
			if _, err := time.Parse(time.RFC3339, st.Start); err != nil {
				graphError(w, http.StatusBadRequest, "ErrorInvalidParameter", "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.")
				return
			}
			if _, err := time.Parse(time.RFC3339, st.End); err != nil {
				graphError(w, http.StatusBadRequest, "ErrorInvalidParameter", "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.")
				return
			}
		}
	}
	var changed []map[string]any
	for _, it := range *list {
		if it.seq <= st.Since || it.seq > st.Upto {
			continue
		}
		switch {
		case it.removed && st.Since == 0:
		case it.removed:
			changed = append(changed, map[string]any{"id": it.ID, "@removed": map[string]string{"reason": "deleted"}})
		case inWindow == nil || inWindow(&st, it):
			changed = append(changed, it.Body)
		}
	}
	size := s.maxPage
	if p := r.Header.Get("Prefer"); strings.Contains(p, "odata.maxpagesize=") {
		v := p[strings.Index(p, "odata.maxpagesize=")+len("odata.maxpagesize="):]
		if i := strings.IndexAny(v, ", "); i >= 0 {
			v = v[:i]
		}
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			size = n
		}
	}
	from := min(st.Offset, len(changed))
	end := min(from+size, len(changed))
	body := map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.message)", "value": changed[from:end]}
	link := *r.URL
	link.Scheme, link.Host = "http", r.Host
	if end < len(changed) {
		next := st
		next.Offset = end
		link.RawQuery = url.Values{"$skiptoken": {encodeToken(next)}}.Encode()
		body["@odata.nextLink"] = link.String()
	} else {
		link.RawQuery = url.Values{"$deltatoken": {encodeToken(deltaState{Since: st.Upto, Start: st.Start, End: st.End})}}.Encode()
		body["@odata.deltaLink"] = link.String()
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) listAttachments(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	files, ok := s.attachments[r.PathValue("id")]
	if !ok {
		graphError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
		return
	}
	if files == nil {
		files = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('me')/messages('x')/attachments", "value": files})
}

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request) {
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		graphError(w, http.StatusBadRequest, "RequestBodyRead", "Cannot read the request body.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	m["id"] = fmt.Sprintf("AAMkAGI2Draft%04d=", s.seq)
	m["isDraft"] = true
	s.drafts = append(s.drafts, m)
	writeJSON(w, http.StatusCreated, m)
}

func (s *Server) createEvent(w http.ResponseWriter, r *http.Request) {
	var e map[string]any
	if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
		graphError(w, http.StatusBadRequest, "RequestBodyRead", "Cannot read the request body.")
		return
	}
	start, ok1 := e["start"].(map[string]any)
	end, ok2 := e["end"].(map[string]any)
	if !ok1 || !ok2 || start["dateTime"] == nil || end["dateTime"] == nil {
		graphError(w, http.StatusBadRequest, "ErrorInvalidRequest", "Your request can't be completed. The start and end times are required.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := fmt.Sprintf("AAMkAGI2Event%04d=", s.seq)
	e["id"] = id
	e["type"] = "singleInstance"
	s.put(&s.events, &item{ID: id, seq: s.seq, Body: e})
	writeJSON(w, http.StatusCreated, e)
}
