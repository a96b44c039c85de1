package google

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
	"confidant/connectors/oauth"
)

// Errors a sync reacts to itself.
var (
	errNotFound = errors.New("google: not found") // 404, e.g. a too-old historyId
	errGone     = errors.New("google: gone")      // 410, e.g. an invalid syncToken
)

// apiError is Google's JSON error body.
type apiError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Errors  []struct {
			Domain string `json:"domain"`
			Reason string `json:"reason"`
		} `json:"errors"`
	} `json:"error"`
}

func (e apiError) reason() string {
	if len(e.Error.Errors) > 0 {
		return e.Error.Errors[0].Reason
	}
	return e.Error.Status
}

// call sends a request and decodes the JSON answer into out, waiting out
// short rate limits. Failures come back as *connectors.Error, or as
// errNotFound / errGone for the sync to handle.
func (s *Source) call(ctx context.Context, method, url string, body any, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("google: encode request: %w", err)
		}
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(payload))
		if err != nil {
			return fmt.Errorf("google: %w", err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Body, req.GetBody = nil, nil
		}
		resp, err := s.client.Do(req)
		if err != nil {
			return s.classify(err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return s.classify(err)
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			if out == nil {
				return nil
			}
			if err := json.Unmarshal(data, out); err != nil {
				return &connectors.Error{Code: "server", Message: "Google answered in a form Confidant does not understand.", Err: err, Retry: true}
			}
			return nil
		}
		var ae apiError
		_ = json.Unmarshal(data, &ae)
		reason := ae.reason()
		switch {
		case resp.StatusCode == http.StatusTooManyRequests ||
			(resp.StatusCode == http.StatusForbidden && (reason == "rateLimitExceeded" || reason == "userRateLimitExceeded")):
			wait := oauth.RetryAfter(resp.Header, s.opts.Now(), time.Second<<attempt)
			if attempt+1 >= s.opts.Retries || wait > s.opts.MaxWait {
				return &connectors.Error{Code: "rate_limited", Message: "Google asked Confidant to slow down; the sync resumes shortly.",
					Err: &oauth.RateLimited{RetryAfter: wait}, Retry: true}
			}
			if err := s.opts.Sleep(ctx, wait); err != nil {
				return err
			}
			continue
		case resp.StatusCode == http.StatusNotFound:
			return fmt.Errorf("%w: %s", errNotFound, reason)
		case resp.StatusCode == http.StatusGone:
			return fmt.Errorf("%w: %s", errGone, reason)
		case resp.StatusCode == http.StatusForbidden:
			return &connectors.Error{Code: "auth_failed", Message: authFailed, Err: fmt.Errorf("status 403, reason %q", reason)}
		case resp.StatusCode >= 500:
			return &connectors.Error{Code: "server", Message: "Google answered with an error; the sync will try again.",
				Err: fmt.Errorf("status %d, reason %q", resp.StatusCode, reason), Retry: true}
		default:
			return &connectors.Error{Code: "server", Message: "Google refused a request from Confidant.",
				Err: fmt.Errorf("status %d, reason %q", resp.StatusCode, reason)}
		}
	}
}

const authFailed = "Google no longer accepts Confidant's access: connect again."

// classify turns a transport or token failure into a *connectors.Error.
func (s *Source) classify(err error) error {
	var ce *connectors.Error
	switch {
	case errors.As(err, &ce):
		return err
	case errors.Is(err, oauth.ErrReauth):
		return &connectors.Error{Code: "auth_failed", Message: authFailed, Err: err}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	default:
		return &connectors.Error{Code: "unreachable", Message: "Google could not be reached; the sync will try again.", Err: err, Retry: true}
	}
}
