package google

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"confidant/connectors"
	"confidant/connectors/mailparse"
	"confidant/connectors/mailtext"
)

type messageRef struct {
	ID       string   `json:"id"`
	ThreadID string   `json:"threadId"`
	LabelIDs []string `json:"labelIds"`
}

type messageList struct {
	Messages           []messageRef `json:"messages"`
	NextPageToken      string       `json:"nextPageToken"`
	ResultSizeEstimate int          `json:"resultSizeEstimate"`
}

type rawMessage struct {
	ID           string   `json:"id"`
	LabelIDs     []string `json:"labelIds"`
	InternalDate string   `json:"internalDate"`
	SizeEstimate int64    `json:"sizeEstimate"`
	Raw          string   `json:"raw"`
}

type historyList struct {
	History []struct {
		ID            string `json:"id"`
		MessagesAdded []struct {
			Message messageRef `json:"message"`
		} `json:"messagesAdded"`
		MessagesDeleted []struct {
			Message messageRef `json:"message"`
		} `json:"messagesDeleted"`
	} `json:"history"`
	NextPageToken string `json:"nextPageToken"`
	HistoryID     string `json:"historyId"`
}

type profile struct {
	EmailAddress  string `json:"emailAddress"`
	MessagesTotal int    `json:"messagesTotal"`
	HistoryID     string `json:"historyId"`
}

// syncMail brings c.Mail up to date: incrementally from its history id
// when it has one (a 404 for a too-old one is errStartOver), else by a
// full listing, resumable page by page.
func (s *Source) syncMail(ctx context.Context, c *cursor, sink connectors.Sink) error {
	if c.Mail.HistoryID != "" && c.Mail.FullFrom == "" {
		err := s.mailHistory(ctx, c, sink)
		if errors.Is(err, errNotFound) {
			return errStartOver
		}
		return err
	}
	return s.mailFull(ctx, c, sink)
}

func (s *Source) mailFull(ctx context.Context, c *cursor, sink connectors.Sink) error {
	var p profile
	if err := s.call(ctx, http.MethodGet, s.ep.gmail+"/users/me/profile", nil, &p); err != nil {
		return s.orServer(err)
	}
	if c.Mail.FullFrom == "" {
		// Changes from here on are picked up by the next incremental sync.
		c.Mail = mailCursor{FullFrom: p.HistoryID}
	}
	done := 0
	for {
		q := url.Values{"maxResults": {strconv.Itoa(s.opts.PageSize)}}
		if c.Mail.PageToken != "" {
			q.Set("pageToken", c.Mail.PageToken)
		}
		var list messageList
		if err := s.call(ctx, http.MethodGet, s.ep.gmail+"/users/me/messages?"+q.Encode(), nil, &list); err != nil {
			return s.orServer(err)
		}
		var b connectors.Batch
		for _, ref := range list.Messages {
			m, err := s.message(ctx, ref.ID)
			if errors.Is(err, errNotFound) {
				continue // deleted since the listing
			}
			if err != nil {
				return err
			}
			b.Mail = append(b.Mail, m)
		}
		done += len(list.Messages)
		if list.NextPageToken == "" {
			c.Mail = mailCursor{HistoryID: c.Mail.FullFrom}
		} else {
			c.Mail.PageToken = list.NextPageToken
		}
		b.Cursor = c.encode()
		b.Progress = connectors.Progress{Done: done, Total: p.MessagesTotal}
		if err := sink.Apply(ctx, b); err != nil {
			return err
		}
		if list.NextPageToken == "" {
			return nil
		}
	}
}

func (s *Source) mailHistory(ctx context.Context, c *cursor, sink connectors.Sink) error {
	done := 0
	for {
		q := url.Values{"startHistoryId": {c.Mail.HistoryID}, "maxResults": {strconv.Itoa(s.opts.PageSize)},
			"historyTypes": {"messageAdded", "messageDeleted"}}
		if c.Mail.PageToken != "" {
			q.Set("pageToken", c.Mail.PageToken)
		}
		var h historyList
		if err := s.call(ctx, http.MethodGet, s.ep.gmail+"/users/me/history?"+q.Encode(), nil, &h); err != nil {
			return err
		}
		// Replay the page in order: the last thing that happened to a
		// message decides whether it is fetched or removed.
		var order []string
		added := map[string]bool{}
		for _, rec := range h.History {
			for _, a := range rec.MessagesAdded {
				order = append(order, a.Message.ID)
				added[a.Message.ID] = true
			}
			for _, d := range rec.MessagesDeleted {
				order = append(order, d.Message.ID)
				added[d.Message.ID] = false
			}
		}
		var b connectors.Batch
		seen := map[string]bool{}
		for _, id := range order {
			if seen[id] {
				continue
			}
			seen[id] = true
			if !added[id] {
				b.Removed = append(b.Removed, id)
				continue
			}
			m, err := s.message(ctx, id)
			if errors.Is(err, errNotFound) {
				b.Removed = append(b.Removed, id)
				continue
			}
			if err != nil {
				return err
			}
			b.Mail = append(b.Mail, m)
		}
		done += len(seen)
		if h.NextPageToken == "" {
			c.Mail = mailCursor{HistoryID: h.HistoryID}
		} else {
			c.Mail.PageToken = h.NextPageToken
		}
		b.Cursor = c.encode()
		b.Progress = connectors.Progress{Done: done}
		if err := sink.Apply(ctx, b); err != nil {
			return err
		}
		if h.NextPageToken == "" {
			return nil
		}
	}
}

// maxParse is how much of a message's raw bytes is parsed: what the IMAP
// source fetches of one (connectors/imap).
const maxParse = 1 << 20

// message fetches one message in raw form and parses it.
func (s *Source) message(ctx context.Context, id string) (connectors.Mail, error) {
	var rm rawMessage
	if err := s.call(ctx, http.MethodGet, s.ep.gmail+"/users/me/messages/"+url.PathEscape(id)+"?format=raw", nil, &rm); err != nil {
		return connectors.Mail{}, err
	}
	raw, err := base64.URLEncoding.DecodeString(pad(rm.Raw))
	if err != nil {
		return connectors.Mail{}, &connectors.Error{Code: "server", Message: "Google sent a message Confidant could not decode.", Err: err}
	}
	// Parse at most the beginning of a huge message, as IMAP fetches it:
	// a stranger's 25 MB mail must not cost the sync its memory.
	partial := len(raw) > maxParse
	if partial {
		raw = raw[:maxParse]
	}
	m := mailparse.Parse(raw, mailparse.Options{Partial: partial}) // never fails: a broken body keeps its headers
	if partial {
		m.Size = int64(len(rm.Raw)) * 3 / 4
	}
	m.Resource = rm.ID
	m.Folder = folderOf(rm.LabelIDs)
	m.Flags = slices.Clone(rm.LabelIDs)
	if ms, err := strconv.ParseInt(rm.InternalDate, 10, 64); err == nil && m.Date.IsZero() {
		m.Date = time.UnixMilli(ms)
	}
	m.Date = m.Date.UTC()
	return m, nil
}

// folderOf names the folder a person would look in for a message.
func folderOf(labels []string) string {
	for _, l := range []string{"INBOX", "SENT", "DRAFT", "SPAM", "TRASH"} {
		if slices.Contains(labels, l) {
			return l
		}
	}
	return "All Mail"
}

func pad(s string) string {
	s = strings.TrimRight(s, "=")
	if m := len(s) % 4; m != 0 {
		s += strings.Repeat("=", 4-m)
	}
	return s
}

// SaveDraft stores a confirmed draft in the account's Gmail drafts.
func (s *Source) SaveDraft(ctx context.Context, d connectors.Draft) (string, error) {
	raw := mailtext.Compose(s.client.Settings().Account, d, s.opts.Now().Format(time.RFC1123Z))
	var out struct {
		ID string `json:"id"`
	}
	body := map[string]any{"message": map[string]string{"raw": base64.URLEncoding.EncodeToString(raw)}}
	if err := s.call(ctx, http.MethodPost, s.ep.gmail+"/users/me/drafts", body, &out); err != nil {
		return "", s.orServer(err)
	}
	if out.ID == "" {
		return "", fmt.Errorf("google: draft created without an id")
	}
	return out.ID, nil
}
