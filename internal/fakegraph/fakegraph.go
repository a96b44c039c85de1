// Package fakegraph is a local stand-in for the Microsoft identity
// platform (OAuth 2.0 v2.0 endpoints) and Microsoft Graph mail and
// calendar, speaking their wire formats (@odata.nextLink and
// @odata.deltaLink paging, @removed entries, error bodies, Retry-After),
// with knobs to add and delete items, expire tokens, force a 429 and
// invalidate delta tokens. All endpoints hang off one base URL.
package fakegraph

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"confidant/internal/fakeoauth"
)

// GraphPath is the Graph API root under the base URL.
const GraphPath = "/v1.0"

// Client credentials the fake accepts.
const (
	ClientID     = "00000000-fake-4000-8000-graphclient0"
	ClientSecret = "fake-graph-secret"
)

// graphTime is how Graph writes a dateTimeTimeZone's dateTime.
const graphTime = "2006-01-02T15:04:05.0000000"

// Server is a running fake Microsoft 365.
type Server struct {
	*httptest.Server
	OAuth   *fakeoauth.Authority
	Account string
	gate    *fakeoauth.Gate

	mu          sync.Mutex
	seq         uint64
	messages    []*item // the Inbox
	events      []*item
	drafts      []map[string]any
	attachments map[string][]map[string]any // by message id
	minDelta    uint64                      // delta tokens older than this answer 410
	maxPage     int
}

// item is a message or an event with its change sequence.
type item struct {
	ID      string
	Body    map[string]any
	seq     uint64
	removed bool
}

// New starts a fake Microsoft 365 for account until the test ends.
func New(t interface{ Cleanup(func()) }, account string) *Server {
	s := &Server{OAuth: fakeoauth.New(ClientID, ClientSecret), Account: account, maxPage: 10, attachments: map[string][]map[string]any{}}
	s.OAuth.RotateRefresh = true
	s.OAuth.ErrorBody = func(code, description string) any {
		return map[string]any{"error": code, "error_description": "AADSTS70000: " + description,
			"error_codes": []int{70000}, "timestamp": time.Now().UTC().Format("2006-01-02 15:04:05Z"),
			"trace_id": "00000000-0000-0000-0000-000000000000", "correlation_id": "00000000-0000-0000-0000-000000000000"}
	}
	s.gate = &fakeoauth.Gate{Authority: s.OAuth,
		Unauthorized: func(w http.ResponseWriter) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`)
			graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
		},
		Limited: func(w http.ResponseWriter, status int) {
			graphError(w, status, "TooManyRequests", "Too many requests.")
		},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", s.OAuth.Authorize)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.OAuth.Token)
	mux.HandleFunc("GET "+GraphPath+"/me", s.api(s.me))
	mux.HandleFunc("GET "+GraphPath+"/me/mailFolders/{folder}/messages/delta", s.api(s.messageDelta))
	mux.HandleFunc("GET "+GraphPath+"/me/calendarView/delta", s.api(s.eventDelta))
	mux.HandleFunc("GET "+GraphPath+"/me/messages/{id}/attachments", s.api(s.listAttachments))
	mux.HandleFunc("POST "+GraphPath+"/me/messages", s.api(s.createMessage))
	mux.HandleFunc("POST "+GraphPath+"/me/events", s.api(s.createEvent))
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *Server) api(h http.HandlerFunc) http.HandlerFunc { return s.gate.Wrap(h) }

// RateLimit makes the next n API requests answer 429 with Retry-After: 1.
func (s *Server) RateLimit(n int) { s.gate.RateLimit(n, http.StatusTooManyRequests) }

// Requests counts the API requests served for "METHOD /path".
func (s *Server) Requests(route string) int { return s.gate.Requests(route) }

// Message is a message to put in the Inbox.
type Message struct {
	Subject string
	From    string // an address
	To      []string
	HTML    string
	Text    string // used when HTML is empty
	// Attachments are files attached to the message: name, type, size.
	Attachments []Attachment
}

// Attachment is a file attached to a message.
type Attachment struct {
	Name        string
	ContentType string
	Size        int
}

// AddMessage puts a message in the Inbox and returns its id.
func (s *Server) AddMessage(m Message) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	id := fmt.Sprintf("AAMkAGI2TG93AAA%04d=", s.seq)
	body := map[string]any{"contentType": "text", "content": m.Text}
	if m.HTML != "" {
		body = map[string]any{"contentType": "html", "content": m.HTML}
	}
	var to []map[string]any
	for _, a := range m.To {
		to = append(to, recipient(a))
	}
	now := time.Now().UTC().Format(time.RFC3339)
	var files []map[string]any
	for i, a := range m.Attachments {
		files = append(files, map[string]any{"@odata.type": "#microsoft.graph.fileAttachment", "id": fmt.Sprintf("AAMkAtt%d", i),
			"name": a.Name, "contentType": a.ContentType, "size": a.Size, "isInline": false})
	}
	s.attachments[id] = files
	s.messages = append(s.messages, &item{ID: id, seq: s.seq, Body: map[string]any{
		"@odata.etag": fmt.Sprintf(`W/"CQAAABYAAAA%d"`, s.seq), "id": id, "subject": m.Subject,
		"receivedDateTime": now, "sentDateTime": now, "hasAttachments": len(files) > 0, "isRead": false, "isDraft": false,
		"internetMessageId": fmt.Sprintf("<msg%d@example.com>", s.seq), "parentFolderId": "AQMkInbox",
		"body": body, "bodyPreview": "", "from": recipient(m.From), "sender": recipient(m.From),
		"toRecipients": to, "ccRecipients": []any{},
	}})
	return id
}

// DeleteMessage removes a message from the Inbox.
func (s *Server) DeleteMessage(id string) { s.remove(s.messages, id) }

// Event is an occurrence to put in the calendar.
type Event struct {
	ID      string // "" to make one up; an existing id changes that event
	Subject string
	Start   time.Time
	End     time.Time
	AllDay  bool
	Type    string // singleInstance (default), occurrence, exception
}

// AddEvent adds or changes an event and returns its id.
func (s *Server) AddEvent(e Event) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	if e.ID == "" {
		e.ID = fmt.Sprintf("AAMkAGI2Event%04d=", s.seq)
	}
	if e.Type == "" {
		e.Type = "singleInstance"
	}
	body := map[string]any{"id": e.ID, "subject": e.Subject, "isAllDay": e.AllDay, "isCancelled": false, "type": e.Type,
		"iCalUId":  "040000008200E00074C5B7101A82E008" + strings.TrimSuffix(e.ID, "="),
		"start":    map[string]string{"dateTime": e.Start.UTC().Format(graphTime), "timeZone": "UTC"},
		"end":      map[string]string{"dateTime": e.End.UTC().Format(graphTime), "timeZone": "UTC"},
		"location": map[string]string{"displayName": ""}, "body": map[string]string{"contentType": "html", "content": ""},
		"organizer": recipient(s.Account), "attendees": []any{}, "originalStartTimeZone": "UTC"}
	s.put(&s.events, &item{ID: e.ID, seq: s.seq, Body: body})
	return e.ID
}

// DeleteEvent removes an event.
func (s *Server) DeleteEvent(id string) { s.remove(s.events, id) }

// Events returns the bodies of the events that are not deleted.
func (s *Server) Events() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, e := range s.events {
		if !e.removed {
			out = append(out, e.Body)
		}
	}
	return out
}

// Drafts returns the messages created as drafts.
func (s *Server) Drafts() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.drafts)
}

// InvalidateDeltaTokens makes every delta link issued so far answer 410.
func (s *Server) InvalidateDeltaTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	s.minDelta = s.seq
}

func (s *Server) put(list *[]*item, it *item) {
	if i := slices.IndexFunc(*list, func(x *item) bool { return x.ID == it.ID }); i >= 0 {
		(*list)[i] = it
		return
	}
	*list = append(*list, it)
}

func (s *Server) remove(list []*item, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range list {
		if it.ID == id && !it.removed {
			s.seq++
			it.removed, it.seq = true, s.seq
		}
	}
}

// deltaState is what the fake's skip and delta tokens carry.
type deltaState struct {
	Since  uint64 `json:"s"`           // changes after this sequence (0: a full round)
	Upto   uint64 `json:"u"`           // the round's snapshot
	Offset int    `json:"o"`           // items already sent in this round
	Start  string `json:"a,omitempty"` // calendarView window
	End    string `json:"b,omitempty"`
}

// dateTimeOf reads a dateTimeTimeZone (in UTC, as the fake keeps them).
func dateTimeOf(v any) time.Time {
	var dt string
	switch m := v.(type) {
	case map[string]string:
		dt = m["dateTime"]
	case map[string]any:
		dt, _ = m["dateTime"].(string)
	}
	for _, layout := range []string{graphTime, "2006-01-02T15:04:05", time.RFC3339Nano} {
		if t, err := time.Parse(layout, dt); err == nil {
			return t
		}
	}
	return time.Time{}
}

func recipient(addr string) map[string]any {
	return map[string]any{"emailAddress": map[string]string{"name": strings.Split(addr, "@")[0], "address": addr}}
}

func graphError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": message,
		"innerError": map[string]string{"date": time.Now().UTC().Format(time.RFC3339), "request-id": "00000000-0000-0000-0000-000000000000"}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
