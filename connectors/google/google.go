// Package google is the connector for a Google account: Gmail (full sync,
// then incremental by historyId) and Google Calendar (events in a window,
// then incremental by syncToken), with drafts and events created only on
// the user's confirmation, over OAuth 2.0 tokens from connectors/oauth.
package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"confidant/connectors"
	"confidant/connectors/oauth"
)

// Options configure the connector; the zero value of each field but the
// client id and secret has a sensible default.
type Options struct {
	ClientID     string
	ClientSecret string
	// BaseURL puts every endpoint under one URL (a local fake); "" means
	// Google's own hosts.
	BaseURL string
	Now     func() time.Time
	// Sleep waits out a Retry-After; it returns early with ctx's error.
	Sleep func(ctx context.Context, d time.Duration) error
	// PageSize is the maxResults of list requests (100).
	PageSize int
	// Past and Future bound the calendar window around now (90 days back,
	// a year ahead).
	Past, Future time.Duration
	// MaxWait is the longest Retry-After waited out inside a sync (30 s);
	// a longer one ends the sync as rate_limited for the job to retry.
	MaxWait time.Duration
	// Retries is how many rate-limited answers one request may get before
	// the sync ends as rate_limited (3).
	Retries int
}

func (o Options) withDefaults() Options {
	d := o.shared().WithDefaults()
	o.Now, o.Sleep, o.Past, o.Future, o.MaxWait, o.Retries = d.Now, d.Sleep, d.Past, d.Future, d.MaxWait, d.Retries
	if o.PageSize <= 0 {
		o.PageSize = 100 // Gmail's and Calendar's maxResults
	}
	return o
}

// shared is the part of o every OAuth connector shares.
func (o Options) shared() oauth.SyncOptions {
	return oauth.SyncOptions{Now: o.Now, Sleep: o.Sleep, Past: o.Past, Future: o.Future, MaxWait: o.MaxWait, Retries: o.Retries}
}

// endpoints are the API roots.
type endpoints struct {
	oauth    oauth.Endpoints
	gmail    string
	calendar string
}

func endpointsFor(base string) endpoints {
	if base == "" {
		return endpoints{
			oauth: oauth.Endpoints{AuthURL: "https://accounts.google.com/o/oauth2/v2/auth",
				TokenURL: "https://oauth2.googleapis.com/token", RevokeURL: "https://oauth2.googleapis.com/revoke"},
			gmail:    "https://gmail.googleapis.com/gmail/v1",
			calendar: "https://www.googleapis.com/calendar/v3",
		}
	}
	base = strings.TrimRight(base, "/")
	return endpoints{
		oauth:    oauth.Endpoints{AuthURL: base + "/o/oauth2/v2/auth", TokenURL: base + "/token", RevokeURL: base + "/revoke"},
		gmail:    base + "/gmail/v1",
		calendar: base + "/calendar/v3",
	}
}

// Scopes asked for: reading mail, writing drafts (Gmail has no narrower
// scope for drafts.create; Confidant never sends), and reading and
// writing calendar events (for confirmed proposals).
var Scopes = []string{
	"https://www.googleapis.com/auth/gmail.readonly",
	"https://www.googleapis.com/auth/gmail.compose",
	"https://www.googleapis.com/auth/calendar.events",
}

// Provider is Google as the OAuth flow sees it.
func Provider(o Options) oauth.Provider {
	ep := endpointsFor(o.BaseURL)
	return oauth.Provider{
		Kind: connectors.KindGmail, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		Endpoints: ep.oauth, Scopes: Scopes,
		// offline: a refresh token; consent: a refresh token again on reconnect.
		AuthParams: map[string][]string{"access_type": {"offline"}, "prompt": {"consent"}},
		Account: func(ctx context.Context, client *http.Client, accessToken string) (string, error) {
			var p struct {
				EmailAddress string `json:"emailAddress"`
			}
			if err := oauth.GetJSON(ctx, client, ep.gmail+"/users/me/profile", accessToken, "gmail profile", &p); err != nil {
				return "", err
			}
			return p.EmailAddress, nil
		},
	}
}

// Source syncs one Google account.
type Source struct {
	opts     Options
	ep       endpoints
	client   *oauth.Client
	settings connectors.Settings
	api      *oauth.API
}

// Factory returns the connectors.SourceFactory for Google accounts.
func Factory(o Options) connectors.SourceFactory {
	return func(s connectors.Settings, dial connectors.Dialer, tokens connectors.TokenSaver) (connectors.Source, error) {
		return New(o, s, dial, tokens)
	}
}

// New returns the Source of one Google account.
func New(o Options, s connectors.Settings, dial connectors.Dialer, tokens connectors.TokenSaver) (*Source, error) {
	if s.Kind != connectors.KindGmail {
		return nil, fmt.Errorf("google: settings of kind %q", s.Kind)
	}
	if s.AccessToken == "" && s.RefreshToken == "" {
		return nil, errors.New("google: no tokens")
	}
	o = o.withDefaults()
	client := oauth.NewClient(Provider(o), s, dial, tokens, o.Now)
	return &Source{opts: o, ep: endpointsFor(o.BaseURL), settings: s, client: client, api: newAPI(client, o)}, nil
}

var (
	_ connectors.Source       = (*Source)(nil)
	_ connectors.DraftSaver   = (*Source)(nil)
	_ connectors.EventCreator = (*Source)(nil)
	_ connectors.Revoker      = (*Source)(nil)
)

// cursor is where a sync resumes: each half (mail, calendar) is either
// caught up to a history id / sync token, or in the middle of listing.
type cursor struct {
	Mail     mailCursor     `json:"mail"`
	Calendar calendarCursor `json:"calendar"`
}

type mailCursor struct {
	HistoryID string `json:"history_id,omitempty"` // caught up to here
	// FullFrom is set during a full sync: the history id it started at,
	// which becomes HistoryID once the listing ends.
	FullFrom  string `json:"full_from,omitempty"`
	PageToken string `json:"page_token,omitempty"` // of the listing or history in progress
}

type calendarCursor struct {
	SyncToken string `json:"sync_token,omitempty"`
	// TimeMin and TimeMax are set during a full listing (its window).
	TimeMin   string `json:"time_min,omitempty"`
	TimeMax   string `json:"time_max,omitempty"`
	PageToken string `json:"page_token,omitempty"`
}

func (c cursor) encode() []byte {
	b, _ := json.Marshal(c)
	return b
}

// errStartOver says Google no longer knows the history id or the sync
// token the cursor holds.
var errStartOver = errors.New("google: incremental sync state gone")

// Sync brings mail, then the calendar, up to date from cursor. When Google
// no longer knows the cursor's history id (404) or sync token (410), it
// lists mail and calendar again from the start, the first batch marked
// Reset: both halves share the connector's items, and what the listings
// no longer find (deleted meanwhile) is deleted when the sync completes.
func (s *Source) Sync(ctx context.Context, raw []byte, sink connectors.Sink) error {
	var c cursor
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c); err != nil {
			// A cursor this version cannot read: start over rather than fail forever.
			c = cursor{}
		}
	}
	rs := &oauth.ResetSink{Sink: sink}
	err := s.syncBoth(ctx, &c, rs)
	if errors.Is(err, errStartOver) {
		c = cursor{}
		rs.Arm()
		err = s.syncBoth(ctx, &c, rs)
	}
	return err
}

func (s *Source) syncBoth(ctx context.Context, c *cursor, sink connectors.Sink) error {
	if err := s.syncMail(ctx, c, sink); err != nil {
		return err
	}
	return s.syncCalendar(ctx, c, sink)
}

// Revoke revokes the refresh token at Google, which ends every access
// token issued from it.
func (s *Source) Revoke(ctx context.Context) error {
	if err := s.client.Revoke(ctx); err != nil {
		return s.classify(err)
	}
	return nil
}

// Settings returns the connector's current tokens (renewed ones included).
func (s *Source) Settings() connectors.Settings { return s.client.Settings() }
