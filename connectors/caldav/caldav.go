// Package caldav syncs a CalDAV account's calendars into occurrences of
// their events, and creates confirmed events on it.
//
// Occurrences follow connectors/ical: Start and End are UTC instants for
// timed events (TimeZone names their IANA zone); all-day events have
// AllDay set, Start and End at 00:00 UTC of their first day and of the
// day after their last, and TimeZone "". Each occurrence's Resource is
// the href of its calendar object, Calendar the calendar's display name.
package caldav

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"confidant/connectors"
)

// Options tune a Source; the zero value is what New uses.
type Options struct {
	// Past and Ahead set the sync window around now: occurrences that
	// overlap [now-Past, now+Ahead) are synced. Defaults: 1 and 2 years.
	Past, Ahead time.Duration
	// BatchSize is how many calendar objects one Batch carries (and one
	// calendar-multiget fetches). Default 50.
	BatchSize int
	// Floating is the user's zone, for times without a zone. Nil: UTC.
	Floating *time.Location
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives warnings (objects that could not be read). Nil
	// discards them. Nothing of the user's content is logged.
	Log *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Past <= 0 {
		o.Past = 365 * 24 * time.Hour
	}
	if o.Ahead <= 0 {
		o.Ahead = 2 * 365 * 24 * time.Hour
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 50
	}
	if o.Floating == nil {
		o.Floating = time.UTC
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// New builds the CalDAV Source for one connector with default options; it
// is the package's connectors.SourceFactory.
func New(s connectors.Settings, dial connectors.Dialer, tokens connectors.TokenSaver) (connectors.Source, error) {
	return Factory(Options{})(s, dial, tokens)
}

// Factory returns a connectors.SourceFactory with the given options.
func Factory(opt Options) connectors.SourceFactory {
	opt = opt.withDefaults()
	return func(s connectors.Settings, dial connectors.Dialer, _ connectors.TokenSaver) (connectors.Source, error) {
		base, err := checkURL(s.URL)
		if err != nil {
			return nil, err
		}
		if s.Username == "" {
			return nil, &connectors.Error{Code: "auth_failed", Message: "A user name is needed to sign in to the calendar server."}
		}
		if dial == nil {
			return nil, errors.New("caldav: no dialer")
		}
		return &Source{
			base:     base,
			username: s.Username,
			password: s.Password,
			http:     newHTTPClient(dial),
			opt:      opt,
		}, nil
	}
}

// Source reads and writes one CalDAV account. It implements
// connectors.Source and connectors.EventCreator.
type Source struct {
	base               *url.URL // as the user gave it
	username, password string
	http               *http.Client
	opt                Options
}

var (
	_ connectors.Source       = (*Source)(nil)
	_ connectors.EventCreator = (*Source)(nil)
)

// checkURL accepts https URLs, and plain http only to loopback (a test
// server, or a server on the same machine).
func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, &connectors.Error{Code: "not_caldav", Message: "The calendar address is not a valid https:// URL."}
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, &connectors.Error{Code: "tls", Message: "The calendar address must start with https://: a password is never sent unencrypted."}
	}
	if u.User != nil {
		return nil, &connectors.Error{Code: "not_caldav", Message: "Give the user name and password in their own fields, not in the calendar address."}
	}
	if u.Path == "" {
		u.Path = "/"
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// newHTTPClient returns a client that opens connections only through dial
// and follows redirects only to the same scheme and host.
func newHTTPClient(dial connectors.Dialer) *http.Client {
	transport := &http.Transport{
		DialContext:           dial,
		Proxy:                 nil,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 90 * time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       60 * time.Second,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   5 * time.Minute, // one request, body included
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != via[0].URL.Scheme || req.URL.Host != via[0].URL.Host {
				return errors.New("redirected to another server")
			}
			return nil
		},
	}
}

// authClient adds the account's credentials to every request and turns
// HTTP error statuses into *statusError. It is the webdav.HTTPClient the
// go-webdav client uses, and the one this package's own requests use.
type authClient struct{ s *Source }

func (c authClient) Do(req *http.Request) (*http.Response, error) {
	req.SetBasicAuth(c.s.username, c.s.password)
	resp, err := c.s.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 400 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return nil, &statusError{Method: req.Method, Status: resp.StatusCode}
	}
	return resp, nil
}

// statusError is an HTTP error status from the server.
type statusError struct {
	Method string
	Status int
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s answered %d %s", e.Method, e.Status, http.StatusText(e.Status))
}

// urlOf resolves a path (as decoded from an href) on the server.
func (s *Source) urlOf(p string) string {
	u := url.URL{Scheme: s.base.Scheme, Host: s.base.Host, Path: p}
	return u.String()
}

// request sends one request with the account's credentials.
func (s *Source) request(ctx context.Context, method, p string, body io.Reader, header map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.urlOf(p), body)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return authClient{s}.Do(req)
}
