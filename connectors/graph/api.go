package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"confidant/connectors"
	"confidant/connectors/oauth"
)

var (
	errGone     = errors.New("graph: gone") // 410: the delta token is no longer valid
	errNotFound = errors.New("graph: not found")
)

const authFailed = "Microsoft no longer accepts Confidant's access: connect again."

type graphError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// call sends a request to a Graph URL (which must be under the Graph
// root, so no token goes elsewhere) and decodes the JSON answer.
func (s *Source) call(ctx context.Context, method, url string, prefer []string, body, out any) error {
	if !strings.HasPrefix(url, s.ep.graph+"/") {
		return &connectors.Error{Code: "server", Message: "Microsoft sent a link Confidant does not follow.", Err: fmt.Errorf("link outside the Graph root")}
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("graph: encode request: %w", err)
		}
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(payload))
		if err != nil {
			return fmt.Errorf("graph: %w", err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Body, req.GetBody = nil, nil
		}
		if len(prefer) > 0 {
			req.Header.Set("Prefer", strings.Join(prefer, ", "))
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
			if out != nil {
				if err := json.Unmarshal(data, out); err != nil {
					return &connectors.Error{Code: "server", Message: "Microsoft answered in a form Confidant does not understand.", Err: err, Retry: true}
				}
			}
			return nil
		}
		var ge graphError
		_ = json.Unmarshal(data, &ge)
		code := ge.Error.Code
		switch {
		case resp.StatusCode == http.StatusTooManyRequests || (resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != ""):
			wait := oauth.RetryAfter(resp.Header, s.opts.Now(), time.Second<<attempt)
			if attempt+1 >= s.opts.Retries || wait > s.opts.MaxWait {
				return &connectors.Error{Code: "rate_limited", Message: "Microsoft asked Confidant to slow down; the sync resumes shortly.",
					Err: &oauth.RateLimited{RetryAfter: wait}, Retry: true}
			}
			if err := s.opts.Sleep(ctx, wait); err != nil {
				return err
			}
			continue
		case resp.StatusCode == http.StatusGone:
			return fmt.Errorf("%w: %s", errGone, code)
		case resp.StatusCode == http.StatusNotFound:
			return fmt.Errorf("%w: %s", errNotFound, code)
		case resp.StatusCode == http.StatusForbidden:
			return &connectors.Error{Code: "auth_failed", Message: authFailed, Err: fmt.Errorf("status 403, code %q", code)}
		case resp.StatusCode >= 500:
			return &connectors.Error{Code: "server", Message: "Microsoft answered with an error; the sync will try again.",
				Err: fmt.Errorf("status %d, code %q", resp.StatusCode, code), Retry: true}
		default:
			return &connectors.Error{Code: "server", Message: "Microsoft refused a request from Confidant.",
				Err: fmt.Errorf("status %d, code %q", resp.StatusCode, code)}
		}
	}
}

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
		return &connectors.Error{Code: "unreachable", Message: "Microsoft could not be reached; the sync will try again.", Err: err, Retry: true}
	}
}

// orServer turns an unexpected 404 or 410 into a server error.
func orServer(err error) error {
	if errors.Is(err, errNotFound) || errors.Is(err, errGone) {
		return &connectors.Error{Code: "server", Message: "Microsoft answered with an error; the sync will try again.", Err: err, Retry: true}
	}
	return err
}
