package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"confidant/connectors"
)

// SyncOptions are the options every OAuth connector shares; the zero
// value of each has a sensible default (see WithDefaults).
type SyncOptions struct {
	Now func() time.Time
	// Sleep waits out a Retry-After; it returns early with ctx's error.
	Sleep func(ctx context.Context, d time.Duration) error
	// Past and Future bound the calendar window around now.
	Past, Future time.Duration
	// MaxWait is the longest Retry-After waited out inside a sync; a
	// longer one ends the sync as rate_limited for the job to retry.
	MaxWait time.Duration
	// Retries is how many rate-limited answers one request may get before
	// the sync ends as rate_limited.
	Retries int
}

// WithDefaults fills in the zero fields: the clock, a sleep that honours
// ctx, 90 days back and a year ahead, a 30 s longest wait and 3 retries.
func (o SyncOptions) WithDefaults() SyncOptions {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Past <= 0 {
		o.Past = 90 * 24 * time.Hour
	}
	if o.Future <= 0 {
		o.Future = 365 * 24 * time.Hour
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 30 * time.Second
	}
	if o.Retries <= 0 {
		o.Retries = 3
	}
	return o
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// API calls one provider's JSON REST API with a Client, waiting out short
// rate limits and turning failures into *connectors.Error. The fields
// hold what differs between providers.
type API struct {
	Client  *Client
	Options SyncOptions // with defaults filled in
	// Name is the provider as the person knows it ("Google"), in messages.
	Name string
	// Prefix starts the texts of wrapped errors ("google").
	Prefix string
	// Reason reads the provider's error code out of an error body;
	// ReasonLabel names it in error texts ("reason", "code").
	Reason      func(body []byte) string
	ReasonLabel string
	// Throttled tells whether a failed answer asks the client to slow down.
	Throttled func(status int, h http.Header, reason string) bool
	// NotFound and Gone come back, wrapped with the reason, for a 404 and
	// a 410, which a sync handles itself.
	NotFound, Gone error
}

// Call sends a request (with header added, and body as JSON unless nil)
// and decodes the JSON answer into out unless out is nil. Failures come
// back as *connectors.Error, or as NotFound / Gone for the sync to handle.
func (a *API) Call(ctx context.Context, method, url string, header http.Header, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("%s: encode request: %w", a.Prefix, err)
		}
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(payload))
		if err != nil {
			return fmt.Errorf("%s: %w", a.Prefix, err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Body, req.GetBody = nil, nil
		}
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := a.Client.Do(req)
		if err != nil {
			return a.Classify(err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return a.Classify(err)
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(data, out); err != nil {
				return &connectors.Error{Code: "server", Message: a.Name + " answered in a form Confidant does not understand.", Err: err, Retry: true}
			}
			return nil
		}
		reason := a.Reason(data)
		if a.Throttled(resp.StatusCode, resp.Header, reason) {
			wait := RetryAfter(resp.Header, a.Options.Now(), time.Second<<attempt)
			if attempt+1 >= a.Options.Retries || wait > a.Options.MaxWait {
				return &connectors.Error{Code: "rate_limited", Message: a.Name + " asked Confidant to slow down; the sync resumes shortly.",
					Err: &RateLimited{RetryAfter: wait}, Retry: true}
			}
			if err := a.Options.Sleep(ctx, wait); err != nil {
				return err
			}
			continue
		}
		return a.statusError(resp.StatusCode, reason)
	}
}

// statusError maps a failed, not throttled answer.
func (a *API) statusError(status int, reason string) error {
	switch {
	case status == http.StatusNotFound:
		return fmt.Errorf("%w: %s", a.NotFound, reason)
	case status == http.StatusGone:
		return fmt.Errorf("%w: %s", a.Gone, reason)
	case status == http.StatusForbidden:
		return &connectors.Error{Code: "auth_failed", Message: a.authFailed(), Err: fmt.Errorf("status 403, %s %q", a.ReasonLabel, reason)}
	case status >= 500:
		return &connectors.Error{Code: "server", Message: a.Name + " answered with an error; the sync will try again.",
			Err: fmt.Errorf("status %d, %s %q", status, a.ReasonLabel, reason), Retry: true}
	default:
		return &connectors.Error{Code: "server", Message: a.Name + " refused a request from Confidant.",
			Err: fmt.Errorf("status %d, %s %q", status, a.ReasonLabel, reason)}
	}
}

func (a *API) authFailed() string {
	return a.Name + " no longer accepts Confidant's access: connect again."
}

// Classify turns a transport or token failure into a *connectors.Error.
func (a *API) Classify(err error) error {
	var ce *connectors.Error
	switch {
	case errors.As(err, &ce):
		return err
	case errors.Is(err, ErrReauth):
		return &connectors.Error{Code: "auth_failed", Message: a.authFailed(), Err: err}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	default:
		return &connectors.Error{Code: "unreachable", Message: a.Name + " could not be reached; the sync will try again.", Err: err, Retry: true}
	}
}

// OrServer turns a NotFound or Gone where none is expected into a server
// error.
func (a *API) OrServer(err error) error {
	if errors.Is(err, a.NotFound) || errors.Is(err, a.Gone) {
		return &connectors.Error{Code: "server", Message: a.Name + " answered with an error; the sync will try again.", Err: err, Retry: true}
	}
	return err
}
