// Package graph is the connector for a Microsoft 365 account through
// Microsoft Graph: Inbox mail and calendar occurrences by delta query
// (@odata.nextLink paging, @odata.deltaLink as the cursor), with drafts
// and events created only on the user's confirmation, over OAuth 2.0
// tokens from connectors/oauth.
package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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
	// Tenant is the directory to sign in with: "common" (default),
	// "organizations", "consumers" or a tenant id.
	Tenant string
	// BaseURL puts every endpoint under one URL (a local fake); "" means
	// Microsoft's own hosts.
	BaseURL string
	Now     func() time.Time
	// Sleep waits out a Retry-After; it returns early with ctx's error.
	Sleep func(ctx context.Context, d time.Duration) error
	// PageSize is the odata.maxpagesize asked for (50).
	PageSize int
	// Past and Future bound the calendar window around now (90 days back,
	// a year ahead).
	Past, Future time.Duration
	// MaxWait is the longest Retry-After waited out inside a sync (30 s).
	MaxWait time.Duration
	// Retries is how many throttled answers one request may get before
	// the sync ends as rate_limited (3).
	Retries int
}

func (o Options) withDefaults() Options {
	if o.Tenant == "" {
		o.Tenant = "common"
	}
	d := o.shared().WithDefaults()
	o.Now, o.Sleep, o.Past, o.Future, o.MaxWait, o.Retries = d.Now, d.Sleep, d.Past, d.Future, d.MaxWait, d.Retries
	if o.PageSize <= 0 {
		o.PageSize = 50 // the odata.maxpagesize asked for
	}
	return o
}

// shared is the part of o every OAuth connector shares.
func (o Options) shared() oauth.SyncOptions {
	return oauth.SyncOptions{Now: o.Now, Sleep: o.Sleep, Past: o.Past, Future: o.Future, MaxWait: o.MaxWait, Retries: o.Retries}
}

type endpoints struct {
	oauth oauth.Endpoints
	graph string
}

func endpointsFor(base, tenant string) endpoints {
	login, graph := "https://login.microsoftonline.com", "https://graph.microsoft.com/v1.0"
	if base != "" {
		base = strings.TrimRight(base, "/")
		login, graph = base, base+"/v1.0"
	}
	t := url.PathEscape(tenant)
	// Microsoft has no endpoint that revokes one app's refresh token.
	return endpoints{oauth: oauth.Endpoints{AuthURL: login + "/" + t + "/oauth2/v2.0/authorize", TokenURL: login + "/" + t + "/oauth2/v2.0/token"}, graph: graph}
}

// Scopes asked for: a refresh token, the account's address, mail (read,
// and write for drafts: Graph has no drafts-only permission; Mail.Send is
// not asked for) and calendars (events for confirmed proposals).
var Scopes = []string{"offline_access", "User.Read", "Mail.ReadWrite", "Calendars.ReadWrite"}

// Provider is Microsoft as the OAuth flow sees it.
func Provider(o Options) oauth.Provider {
	o = o.withDefaults()
	ep := endpointsFor(o.BaseURL, o.Tenant)
	return oauth.Provider{
		Kind: connectors.KindMicrosoft, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		Endpoints: ep.oauth, Scopes: Scopes,
		Account: func(ctx context.Context, client *http.Client, accessToken string) (string, error) {
			var me struct {
				Mail              string `json:"mail"`
				UserPrincipalName string `json:"userPrincipalName"`
			}
			if err := oauth.GetJSON(ctx, client, ep.graph+"/me?$select=mail,userPrincipalName", accessToken, "graph /me", &me); err != nil {
				return "", err
			}
			if me.Mail != "" {
				return me.Mail, nil
			}
			return me.UserPrincipalName, nil
		},
	}
}

// Source syncs one Microsoft 365 account.
type Source struct {
	opts   Options
	ep     endpoints
	client *oauth.Client
	api    *oauth.API
}

var (
	_ connectors.Source       = (*Source)(nil)
	_ connectors.DraftSaver   = (*Source)(nil)
	_ connectors.EventCreator = (*Source)(nil)
	_ connectors.Revoker      = (*Source)(nil)
)

// Factory returns the connectors.SourceFactory for Microsoft accounts.
func Factory(o Options) connectors.SourceFactory {
	return func(s connectors.Settings, dial connectors.Dialer, tokens connectors.TokenSaver) (connectors.Source, error) {
		return New(o, s, dial, tokens)
	}
}

// New returns the Source of one Microsoft 365 account.
func New(o Options, s connectors.Settings, dial connectors.Dialer, tokens connectors.TokenSaver) (*Source, error) {
	if s.Kind != connectors.KindMicrosoft {
		return nil, fmt.Errorf("graph: settings of kind %q", s.Kind)
	}
	if s.AccessToken == "" && s.RefreshToken == "" {
		return nil, errors.New("graph: no tokens")
	}
	o = o.withDefaults()
	client := oauth.NewClient(Provider(o), s, dial, tokens, o.Now)
	return &Source{opts: o, ep: endpointsFor(o.BaseURL, o.Tenant), client: client, api: newAPI(client, o)}, nil
}

// Settings returns the connector's current tokens (renewed ones included).
func (s *Source) Settings() connectors.Settings { return s.client.Settings() }

// Revoke is best effort and does nothing remote: Microsoft offers no
// revocation of one app's refresh token (revokeSignInSessions would sign
// the person out of every app and device, which a disconnect must not
// do). Disconnecting deletes the sealed tokens; the person can also
// remove Confidant's consent in their Microsoft account.
func (s *Source) Revoke(context.Context) error { return nil }

// cursor is where a sync resumes: for mail and calendar, the Graph link
// to ask next (a nextLink mid-round, a deltaLink when caught up).
type cursor struct {
	Mail     string `json:"mail,omitempty"`
	Calendar string `json:"calendar,omitempty"`
}

func (c cursor) encode() []byte {
	b, _ := json.Marshal(c)
	return b
}

// errStartOver says Graph no longer knows the sync state of a delta link
// the cursor holds.
var errStartOver = errors.New("graph: delta sync state gone")

// Sync brings the Inbox, then the calendar, up to date from cursor. When
// Graph answers 410 for a delta link, it runs full rounds of both again,
// the first batch marked Reset: both share the connector's items, and
// what the rounds no longer find (deleted meanwhile) is deleted when the
// sync completes.
func (s *Source) Sync(ctx context.Context, raw []byte, sink connectors.Sink) error {
	var c cursor
	if len(raw) > 0 && json.Unmarshal(raw, &c) != nil {
		c = cursor{} // unreadable: start over rather than fail forever
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
