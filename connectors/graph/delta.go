package graph

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"confidant/connectors"
	"confidant/connectors/mailtext"
)

// deltaPage is one page of a delta query.
type deltaPage struct {
	Value     []json.RawMessage `json:"value"`
	NextLink  string            `json:"@odata.nextLink"`
	DeltaLink string            `json:"@odata.deltaLink"`
}

// removed is how a delta page marks an item gone.
type removed struct {
	ID      string          `json:"id"`
	Removed json.RawMessage `json:"@removed"`
}

// walk runs a delta round from *link (start when empty), handing each
// page to handle and committing the link that follows it. A 410 for the
// link (its sync state gone) is errStartOver.
func (s *Source) walk(ctx context.Context, link *string, start string, c *cursor, sink connectors.Sink, prefer []string,
	handle func(raw json.RawMessage, b *connectors.Batch) error) error {
	done := 0
	for {
		next := *link
		if next == "" {
			next = start
		}
		var page deltaPage
		err := s.call(ctx, http.MethodGet, next, prefer, nil, &page)
		if errors.Is(err, errGone) && *link != "" {
			return errStartOver
		}
		if err != nil {
			return s.orServer(err)
		}
		var b connectors.Batch
		for _, raw := range page.Value {
			var r removed
			if err := json.Unmarshal(raw, &r); err == nil && len(r.Removed) > 0 {
				b.Removed = append(b.Removed, r.ID)
				continue
			}
			if err := handle(raw, &b); err != nil {
				return err
			}
		}
		done += len(page.Value)
		switch {
		case page.NextLink != "":
			*link = page.NextLink
		case page.DeltaLink != "":
			*link = page.DeltaLink
		default:
			*link = "" // neither: start over next time rather than loop
		}
		b.Cursor = c.encode()
		b.Progress = connectors.Progress{Done: done}
		if err := sink.Apply(ctx, b); err != nil {
			return err
		}
		if page.NextLink == "" {
			return nil
		}
	}
}

type emailAddress struct {
	EmailAddress struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	} `json:"emailAddress"`
}

func (e emailAddress) String() string {
	return mailtext.Address(e.EmailAddress.Name, e.EmailAddress.Address)
}

type itemBody struct {
	ContentType string `json:"contentType"`
	Content     string `json:"content"`
}

func (b itemBody) text() string {
	if strings.EqualFold(b.ContentType, "html") {
		return mailtext.FromHTML(b.Content)
	}
	return b.Content
}

type message struct {
	ID                string         `json:"id"`
	Subject           string         `json:"subject"`
	ReceivedDateTime  time.Time      `json:"receivedDateTime"`
	InternetMessageID string         `json:"internetMessageId"`
	IsRead            bool           `json:"isRead"`
	HasAttachments    bool           `json:"hasAttachments"`
	Body              itemBody       `json:"body"`
	From              *emailAddress  `json:"from"`
	ToRecipients      []emailAddress `json:"toRecipients"`
	CcRecipients      []emailAddress `json:"ccRecipients"`
}

const mailSelect = "subject,receivedDateTime,internetMessageId,isRead,hasAttachments,body,from,toRecipients,ccRecipients"

func (s *Source) syncMail(ctx context.Context, c *cursor, sink connectors.Sink) error {
	start := s.ep.graph + "/me/mailFolders/inbox/messages/delta?" + url.Values{"$select": {mailSelect}}.Encode()
	prefer := []string{"odata.maxpagesize=" + strconv.Itoa(s.opts.PageSize)}
	return s.walk(ctx, &c.Mail, start, c, sink, prefer, func(raw json.RawMessage, b *connectors.Batch) error {
		var m message
		if err := json.Unmarshal(raw, &m); err != nil {
			return &connectors.Error{Code: "server", Message: "Microsoft sent a message Confidant could not read.", Err: err, Retry: true}
		}
		out := connectors.Mail{Resource: m.ID, Folder: "Inbox", MessageID: strings.Trim(m.InternetMessageID, "<>"),
			Subject: m.Subject, Date: m.ReceivedDateTime.UTC(), Text: m.Body.text()}
		if m.From != nil {
			out.From = m.From.String()
		}
		for _, r := range m.ToRecipients {
			out.To = append(out.To, r.String())
		}
		for _, r := range m.CcRecipients {
			out.Cc = append(out.Cc, r.String())
		}
		if m.IsRead {
			out.Flags = []string{`\Seen`}
		}
		if m.HasAttachments {
			var err error
			if out.Attachments, err = s.attachments(ctx, m.ID); err != nil {
				return err
			}
		}
		b.Mail = append(b.Mail, out)
		return nil
	})
}

// attachments lists a message's attachments (names, types, sizes; not
// their bytes). A message deleted meanwhile has none.
func (s *Source) attachments(ctx context.Context, messageID string) ([]connectors.Attachment, error) {
	var list struct {
		Value []struct {
			Name        string `json:"name"`
			ContentType string `json:"contentType"`
			Size        int64  `json:"size"`
		} `json:"value"`
	}
	u := s.ep.graph + "/me/messages/" + url.PathEscape(messageID) + "/attachments?" + url.Values{"$select": {"name,contentType,size"}}.Encode()
	err := s.call(ctx, http.MethodGet, u, nil, nil, &list)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, s.orServer(err)
	}
	out := make([]connectors.Attachment, 0, len(list.Value))
	for _, a := range list.Value {
		out = append(out, connectors.Attachment{Name: a.Name, ContentType: a.ContentType, Size: a.Size})
	}
	return out, nil
}

type dateTimeZone struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

// graphTimes are the forms Graph writes a dateTime in.
var graphTimes = []string{"2006-01-02T15:04:05.9999999", "2006-01-02T15:04:05"}

// utc reads a dateTimeTimeZone; sync requests ask for UTC.
func (d dateTimeZone) utc() (time.Time, bool) {
	loc := time.UTC
	if d.TimeZone != "" && d.TimeZone != "UTC" {
		l, err := time.LoadLocation(d.TimeZone)
		if err != nil {
			return time.Time{}, false
		}
		loc = l
	}
	for _, layout := range graphTimes {
		if t, err := time.ParseInLocation(layout, d.DateTime, loc); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

type graphEvent struct {
	ID                    string                       `json:"id"`
	ICalUID               string                       `json:"iCalUId"`
	Subject               string                       `json:"subject"`
	Body                  itemBody                     `json:"body"`
	Start                 dateTimeZone                 `json:"start"`
	End                   dateTimeZone                 `json:"end"`
	IsAllDay              bool                         `json:"isAllDay"`
	IsCancelled           bool                         `json:"isCancelled"`
	Type                  string                       `json:"type"`
	OriginalStartTimeZone string                       `json:"originalStartTimeZone"`
	Location              struct{ DisplayName string } `json:"location"`
	Organizer             *emailAddress                `json:"organizer"`
	Attendees             []emailAddress               `json:"attendees"`
}

func (s *Source) syncCalendar(ctx context.Context, c *cursor, sink connectors.Sink) error {
	now := s.opts.Now().UTC()
	start := s.ep.graph + "/me/calendarView/delta?" + url.Values{
		"startDateTime": {now.Add(-s.opts.Past).Format(time.RFC3339)},
		"endDateTime":   {now.Add(s.opts.Future).Format(time.RFC3339)},
	}.Encode()
	prefer := []string{"odata.maxpagesize=" + strconv.Itoa(s.opts.PageSize), `outlook.timezone="UTC"`}
	return s.walk(ctx, &c.Calendar, start, c, sink, prefer, func(raw json.RawMessage, b *connectors.Batch) error {
		var e graphEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			return &connectors.Error{Code: "server", Message: "Microsoft sent an event Confidant could not read.", Err: err, Retry: true}
		}
		if e.IsCancelled {
			b.Removed = append(b.Removed, e.ID)
			return nil
		}
		startAt, ok1 := e.Start.utc()
		endAt, ok2 := e.End.utc()
		if !ok1 || !ok2 {
			return nil // an occurrence without readable times is skipped, not fatal
		}
		out := connectors.Event{Resource: e.ID, Calendar: "Calendar", UID: e.ICalUID, Summary: e.Subject,
			Description: e.Body.text(), Location: e.Location.DisplayName, Start: startAt, End: endAt, AllDay: e.IsAllDay,
			Recurring: e.Type == "occurrence" || e.Type == "exception"}
		if strings.Contains(e.OriginalStartTimeZone, "/") { // an IANA name, not a Windows one
			out.TimeZone = e.OriginalStartTimeZone
		}
		if e.Organizer != nil {
			out.Organizer = e.Organizer.EmailAddress.Address
		}
		for _, a := range e.Attendees {
			out.Attendees = append(out.Attendees, a.EmailAddress.Address)
		}
		b.Events = append(b.Events, out)
		return nil
	})
}
