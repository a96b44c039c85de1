package tools

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"

	"confidant/connectors"
	"confidant/store"
)

// mailSummary is a message as search_mail lists it.
type mailSummary struct {
	ID      string `json:"id"`
	Account string `json:"account"`
	From    string `json:"from"`
	Subject string `json:"subject"`
	Date    string `json:"date"`
	Snippet string `json:"snippet"`
}

func (c *call) searchMail() (any, error) {
	var a struct {
		Query string `json:"query"`
		Limit *int   `json:"limit"`
	}
	if err := c.decode(&a); err != nil {
		return nil, err
	}
	a.Query = strings.TrimSpace(a.Query)
	if a.Query == "" {
		return nil, failf("query must not be empty")
	}
	if len(a.Query) > 500 {
		return nil, failf("query is too long (at most 500 characters)")
	}
	limit := 10
	if a.Limit != nil {
		if *a.Limit < 1 || *a.Limit > maxListed {
			return nil, failf("limit must be from 1 to %d", maxListed)
		}
		limit = *a.Limit
	}
	found, err := c.e.reader.SearchMail(c.ctx, c.userID, a.Query, limit)
	if err != nil {
		return nil, fmt.Errorf("search mail: %w", err)
	}
	loc := c.e.opt.Zone(c.ctx, c.userID)
	list := []mailSummary{}
	for _, m := range found {
		info, ok := c.connector(m.ConnectorID)
		if !ok {
			continue // an account the assistant may not read
		}
		list = append(list, mailSummary{ID: m.ID.String(), Account: truncate(info.Name, maxFieldRunes), From: truncate(m.From, maxFieldRunes),
			Subject: truncate(m.Subject, maxFieldRunes), Date: m.Date.In(loc).Format(time.RFC3339), Snippet: snippet(m.Text)})
		if len(list) == limit {
			break
		}
	}
	list, cut := fitList(list, MaxResultBytes-1024)
	return map[string]any{"messages": list, "truncated": cut}, nil
}

// snippet is the start of a text on one line.
func snippet(text string) string {
	return truncate(strings.Join(strings.Fields(text), " "), maxSnippetRunes)
}

// mailDetail is a message as read_mail returns it.
type mailDetail struct {
	ID          string   `json:"id"`
	Account     string   `json:"account"`
	Folder      string   `json:"folder"`
	From        string   `json:"from"`
	To          []string `json:"to"`
	Cc          []string `json:"cc,omitempty"`
	Subject     string   `json:"subject"`
	Date        string   `json:"date"`
	Text        string   `json:"text"`
	Truncated   bool     `json:"text_truncated"`
	Attachments []string `json:"attachments,omitempty"`
}

func (c *call) readMail() (any, error) {
	var a struct {
		ID string `json:"id"`
	}
	if err := c.decode(&a); err != nil {
		return nil, err
	}
	m, info, err := c.mail(a.ID)
	if err != nil {
		return nil, err
	}
	loc := c.e.opt.Zone(c.ctx, c.userID)
	d := mailDetail{ID: m.ID.String(), Account: truncate(info.Name, maxFieldRunes), Folder: truncate(m.Folder, maxFieldRunes),
		From: truncate(m.From, maxFieldRunes), To: boundList(m.To), Cc: boundList(m.Cc), Subject: truncate(m.Subject, maxFieldRunes),
		Date: m.Date.In(loc).Format(time.RFC3339), Text: truncate(m.Text, maxTextRunes)}
	d.Truncated = d.Text != m.Text
	for _, at := range m.Attachments {
		if len(d.Attachments) == maxListed {
			break
		}
		d.Attachments = append(d.Attachments, truncate(at.Name, maxFieldRunes))
	}
	// Many multi-byte runes can still pass the budget: cut further.
	for n := maxTextRunes; ; n /= 2 {
		out, _ := json.Marshal(d)
		if len(out) <= MaxResultBytes-1024 || n < 16 {
			break
		}
		d.Text, d.Truncated = truncate(m.Text, n/2), true
	}
	return d, nil
}

// mail returns one of the user's messages by the id a tool was given, with
// its account, refusing a message of an account the tool may not touch.
func (c *call) mail(id string) (connectors.StoredMail, connectors.Info, error) {
	mailID, err := uuid.Parse(strings.TrimSpace(id))
	if err != nil {
		return connectors.StoredMail{}, connectors.Info{}, failf("id must be a message id from search_mail")
	}
	m, err := c.e.reader.Mail(c.ctx, c.userID, mailID)
	if err != nil {
		return connectors.StoredMail{}, connectors.Info{}, fmt.Errorf("read mail: %w", err)
	}
	info, ok := c.connector(m.ConnectorID)
	if !ok {
		return connectors.StoredMail{}, connectors.Info{}, failf("the account of this message does not let the assistant use %s", c.def.name)
	}
	return m, info, nil
}

func boundList(list []string) []string {
	var out []string
	for _, s := range list {
		if len(out) == maxListed {
			break
		}
		out = append(out, truncate(s, maxFieldRunes))
	}
	return out
}

// maxReplyRunes bounds a proposed reply's text.
const maxReplyRunes = 20_000

func (c *call) proposeReply() (any, error) {
	var a struct {
		MailID string `json:"mail_id"`
		Text   string `json:"text"`
	}
	if err := c.decode(&a); err != nil {
		return nil, err
	}
	if strings.TrimSpace(a.Text) == "" {
		return nil, failf("text must not be empty")
	}
	if len([]rune(a.Text)) > maxReplyRunes {
		return nil, failf("text is too long (at most %d characters)", maxReplyRunes)
	}
	m, _, err := c.mail(a.MailID)
	if err != nil {
		return nil, err
	}
	// The reply goes to the sender: the model never chooses a recipient.
	to := m.From
	if addr, err := mail.ParseAddress(m.From); err == nil {
		to = addr.String()
	}
	subject := m.Subject
	if !strings.HasPrefix(strings.ToLower(subject), "re:") {
		subject = "Re: " + subject
	}
	draft := connectors.Draft{To: []string{to}, Subject: subject, Text: a.Text, InReplyTo: m.MessageID}
	p, err := c.propose(m.ConnectorID, store.ProposalReply, draft)
	if err != nil {
		return nil, err
	}
	return map[string]any{"proposal_id": p.ID.String(), "status": p.Status, "to": truncate(to, maxFieldRunes),
		"subject": truncate(subject, maxFieldRunes),
		"note":    "The user sees this draft as a card and decides. Nothing is saved or sent unless they confirm; it is never sent by the assistant."}, nil
}

// propose stores a pending proposal for the answer being written.
func (c *call) propose(connectorID uuid.UUID, kind string, payload any) (store.Proposal, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return store.Proposal{}, fmt.Errorf("propose: %w", err)
	}
	id, _ := uuid.NewV7()
	p, err := c.e.proposals.CreateProposal(c.ctx, store.Proposal{ID: id, UserID: c.userID, MessageID: c.messageID,
		ConnectorID: connectorID, Kind: kind, Payload: string(body), CreatedAt: c.e.opt.Now()})
	if err != nil {
		return store.Proposal{}, fmt.Errorf("propose: %w", err)
	}
	return p, nil
}
