// Package fakegoogle is a local stand-in for Google's OAuth, Gmail and
// Calendar REST APIs, speaking their wire formats (JSON field names, page
// and sync tokens, error bodies, status codes), with knobs to add and
// delete items, expire tokens, force rate limits and invalidate history
// and sync tokens. All endpoints hang off one base URL.
package fakegoogle

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"confidant/internal/fakeoauth"
)

// Paths of the endpoints under the base URL, mirroring Google's.
const (
	AuthPath     = "/o/oauth2/v2/auth"
	TokenPath    = "/token"
	RevokePath   = "/revoke"
	GmailPath    = "/gmail/v1"
	CalendarPath = "/calendar/v3"
)

// Server is a running fake Google.
type Server struct {
	*httptest.Server
	OAuth   *fakeoauth.Authority
	Account string
	gate    *fakeoauth.Gate

	mu         sync.Mutex
	historyID  uint64
	minHistory uint64 // history older than this is gone (404)
	messages   []*message
	history    []historyRecord
	drafts     []Draft
	events     []*Event
	eventSeq   uint64
	minSync    uint64 // sync tokens older than this are gone (410)
}

type message struct {
	ID        string
	ThreadID  string
	Labels    []string
	Raw       []byte
	Internal  time.Time
	HistoryID uint64
}

type historyRecord struct {
	ID      uint64
	Added   []*message
	Deleted []*message
}

// Draft is a draft the client created.
type Draft struct {
	ID  string
	Raw []byte
}

// Event is a Calendar API event resource as stored by the fake.
type Event struct {
	Kind             string    `json:"kind"`
	ID               string    `json:"id"`
	Status           string    `json:"status"`
	Summary          string    `json:"summary,omitempty"`
	Description      string    `json:"description,omitempty"`
	Location         string    `json:"location,omitempty"`
	Start            EventTime `json:"start"`
	End              EventTime `json:"end"`
	RecurringEventID string    `json:"recurringEventId,omitempty"`
	ICalUID          string    `json:"iCalUID,omitempty"`
	Organizer        *Person   `json:"organizer,omitempty"`
	Attendees        []Person  `json:"attendees,omitempty"`
	Updated          string    `json:"updated,omitempty"`
	seq              uint64
}

// EventTime is a Calendar API start or end: date for all-day events.
type EventTime struct {
	Date     string `json:"date,omitempty"`
	DateTime string `json:"dateTime,omitempty"`
	TimeZone string `json:"timeZone,omitempty"`
}

// Person is an organizer or attendee.
type Person struct {
	Email          string `json:"email"`
	DisplayName    string `json:"displayName,omitempty"`
	ResponseStatus string `json:"responseStatus,omitempty"`
}

// Client credentials the fake accepts.
const (
	ClientID     = "fake-google-client.apps.googleusercontent.com"
	ClientSecret = "fake-google-secret"
)

// New starts a fake Google for account (an address) until the test ends.
func New(t interface{ Cleanup(func()) }, account string) *Server {
	s := &Server{OAuth: fakeoauth.New(ClientID, ClientSecret), Account: account, historyID: 1000}
	s.gate = &fakeoauth.Gate{Authority: s.OAuth,
		Unauthorized: func(w http.ResponseWriter) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
			apiError(w, http.StatusUnauthorized, "global", "authError", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.", "UNAUTHENTICATED")
		},
		Limited: func(w http.ResponseWriter, status int) {
			if status == http.StatusForbidden {
				apiError(w, status, "usageLimits", "userRateLimitExceeded", "User Rate Limit Exceeded", "PERMISSION_DENIED")
			} else {
				apiError(w, http.StatusTooManyRequests, "global", "rateLimitExceeded", "Resource has been exhausted (e.g. check quota).", "RESOURCE_EXHAUSTED")
			}
		},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+AuthPath, s.OAuth.Authorize)
	mux.HandleFunc("POST "+TokenPath, s.OAuth.Token)
	mux.HandleFunc("POST "+RevokePath, s.OAuth.Revoke)
	mux.HandleFunc("GET "+GmailPath+"/users/me/profile", s.api(s.profile))
	mux.HandleFunc("GET "+GmailPath+"/users/me/messages", s.api(s.listMessages))
	mux.HandleFunc("GET "+GmailPath+"/users/me/messages/{id}", s.api(s.getMessage))
	mux.HandleFunc("GET "+GmailPath+"/users/me/history", s.api(s.listHistory))
	mux.HandleFunc("POST "+GmailPath+"/users/me/drafts", s.api(s.createDraft))
	mux.HandleFunc("GET "+CalendarPath+"/calendars/primary/events", s.api(s.listEvents))
	mux.HandleFunc("POST "+CalendarPath+"/calendars/primary/events", s.api(s.insertEvent))
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// api checks the access token and the forced rate limit, then serves.
func (s *Server) api(h http.HandlerFunc) http.HandlerFunc { return s.gate.Wrap(h) }

// RateLimit makes the next n API requests fail with status (429, or 403
// with reason userRateLimitExceeded) and Retry-After: 1.
func (s *Server) RateLimit(n, status int) { s.gate.RateLimit(n, status) }

// Requests counts the API requests served for "METHOD /path".
func (s *Server) Requests(route string) int { return s.gate.Requests(route) }

// AddMessage adds a raw RFC 5322 message with labels and returns its id.
func (s *Server) AddMessage(raw []byte, labels ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.historyID++
	m := &message{ID: fmt.Sprintf("%016x", 0x18c0000000+s.historyID), Labels: labels, Raw: raw, Internal: time.Now(), HistoryID: s.historyID}
	m.ThreadID = m.ID
	s.messages = append(s.messages, m)
	s.history = append(s.history, historyRecord{ID: s.historyID, Added: []*message{m}})
	return m.ID
}

// DeleteMessage removes a message, recording it in the history.
func (s *Server) DeleteMessage(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.messages, func(m *message) bool { return m.ID == id })
	if i < 0 {
		return
	}
	m := s.messages[i]
	s.messages = slices.Delete(s.messages, i, i+1)
	s.historyID++
	s.history = append(s.history, historyRecord{ID: s.historyID, Deleted: []*message{m}})
}

// InvalidateHistory forgets all history so far: a history.list from any
// earlier historyId answers 404, as for a too-old historyId.
func (s *Server) InvalidateHistory() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.historyID++
	s.minHistory = s.historyID
}

// Drafts returns the drafts created so far.
func (s *Server) Drafts() []Draft {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.drafts)
}

// AddEvent stores an event (its id, if empty, is made up) and returns the id.
func (s *Server) AddEvent(e Event) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putEvent(e)
}

func (s *Server) putEvent(e Event) string {
	s.eventSeq++
	if e.ID == "" {
		e.ID = fmt.Sprintf("ev%06d", s.eventSeq)
	}
	if e.Status == "" {
		e.Status = "confirmed"
	}
	if e.ICalUID == "" {
		e.ICalUID = e.ID + "@google.com"
	}
	e.Kind = "calendar#event"
	e.Updated = time.Now().UTC().Format(time.RFC3339Nano)
	e.seq = s.eventSeq
	if i := slices.IndexFunc(s.events, func(x *Event) bool { return x.ID == e.ID }); i >= 0 {
		s.events[i] = &e
	} else {
		s.events = append(s.events, &e)
	}
	return e.ID
}

// CancelEvent marks an event cancelled, as deleting it in Calendar does.
func (s *Server) CancelEvent(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.events {
		if e.ID == id {
			c := *e
			c.Status = "cancelled"
			s.putEvent(c)
			return
		}
	}
}

// Events returns the stored events (cancelled ones included).
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Event, len(s.events))
	for i, e := range s.events {
		out[i] = *e
	}
	return out
}

// InvalidateSyncTokens makes every sync token issued so far answer 410.
func (s *Server) InvalidateSyncTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eventSeq++
	s.minSync = s.eventSeq
}

func wants(types []string, t string) bool { return len(types) == 0 || slices.Contains(types, t) }

// paginate pages items with maxResults (default def, at most max) and an
// opaque pageToken.
func paginate[T any](items []T, r *http.Request, def, max int) ([]T, string, bool) {
	size := def
	if v := r.URL.Query().Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, "", false
		}
		size = min(n, max)
	}
	offset := 0
	if tok := r.URL.Query().Get("pageToken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			return nil, "", false
		}
		if offset, err = strconv.Atoi(strings.TrimPrefix(string(b), "page:")); err != nil || offset > len(items) {
			return nil, "", false
		}
	}
	end := min(offset+size, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte("page:" + strconv.Itoa(end)))
	}
	return items[offset:end], next, true
}

// apiError writes Google's JSON error body.
func apiError(w http.ResponseWriter, status int, domain, reason, message, statusText string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"code": status, "message": message, "status": statusText,
		"errors": []map[string]string{{"message": message, "domain": domain, "reason": reason}},
	}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}
