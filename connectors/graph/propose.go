package graph

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"confidant/connectors"
)

type recipient struct {
	EmailAddress struct {
		Address string `json:"address"`
	} `json:"emailAddress"`
	Type string `json:"type,omitempty"`
}

func recipients(addrs []string, kind string) []recipient {
	out := make([]recipient, 0, len(addrs))
	for _, a := range addrs {
		var r recipient
		r.EmailAddress.Address = a
		r.Type = kind
		out = append(out, r)
	}
	return out
}

// SaveDraft stores a confirmed draft in the account's Drafts folder (a
// message created through /me/messages is a draft). Graph accepts no
// In-Reply-To header on create, so a reply is saved as a new draft.
func (s *Source) SaveDraft(ctx context.Context, d connectors.Draft) (string, error) {
	body := map[string]any{
		"subject":      d.Subject,
		"body":         map[string]string{"contentType": "Text", "content": d.Text},
		"toRecipients": recipients(d.To, ""),
		"ccRecipients": recipients(d.Cc, ""),
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := s.call(ctx, http.MethodPost, s.ep.graph+"/me/messages", nil, body, &out); err != nil {
		return "", s.orServer(err)
	}
	if out.ID == "" {
		return "", fmt.Errorf("graph: draft created without an id")
	}
	return out.ID, nil
}

// CreateEvent adds a confirmed event to the default calendar.
func (s *Source) CreateEvent(ctx context.Context, e connectors.Event) (string, error) {
	const layout = "2006-01-02T15:04:05"
	start, end := e.Start.UTC(), e.End.UTC()
	if e.AllDay {
		start, end = start.Truncate(24*time.Hour), end.Truncate(24*time.Hour)
	}
	body := map[string]any{
		"subject":   e.Summary,
		"body":      map[string]string{"contentType": "text", "content": e.Description},
		"start":     map[string]string{"dateTime": start.Format(layout), "timeZone": "UTC"},
		"end":       map[string]string{"dateTime": end.Format(layout), "timeZone": "UTC"},
		"isAllDay":  e.AllDay,
		"location":  map[string]string{"displayName": e.Location},
		"attendees": recipients(e.Attendees, "required"),
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := s.call(ctx, http.MethodPost, s.ep.graph+"/me/events", nil, body, &out); err != nil {
		return "", s.orServer(err)
	}
	return out.ID, nil
}
