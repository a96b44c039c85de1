package inference

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// maxResponse caps non-streaming response bodies and stream lines.
const maxResponse = 32 << 20

// Client talks to one or more OpenAI-compatible backends. It is safe for
// concurrent use.
type Client struct {
	cfg  Config
	urls []string
	hc   *http.Client
	oa   []*openai.Client // per URL, for embeddings
	pref atomic.Int32     // index of the URL that last answered
}

// New returns a Client for cfg. It does no I/O; call Healthy to pick the
// first backend that answers.
func New(cfg Config) (*Client, error) {
	urls, err := ParseBaseURLs(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults(len(urls))
	hc := cfg.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = (&net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
		tr.ResponseHeaderTimeout = cfg.HeaderTimeout
		// Many answers stream at once to the same few backends: keep their
		// connections warm instead of the default two per host.
		tr.MaxIdleConns = 512
		tr.MaxIdleConnsPerHost = 256
		hc = &http.Client{Transport: tr}
	}
	c := &Client{cfg: cfg, urls: urls, hc: hc}
	for _, u := range urls {
		oc := openai.DefaultConfig(cfg.APIKey)
		oc.BaseURL = u + "/v1"
		oc.HTTPClient = hc
		c.oa = append(c.oa, openai.NewClientWithConfig(oc))
	}
	return c, nil
}

// BaseURLs returns the backend roots in configured order.
func (c *Client) BaseURLs() []string { return slices.Clone(c.urls) }

// Preferred returns the backend the next call tries first.
func (c *Client) Preferred() string { return c.urls[c.pref.Load()] }

// prefer makes the URL at index i the first to try.
func (c *Client) prefer(i int) { c.pref.Store(int32(i)) }

// each calls try with URL indexes in retry order, starting at the
// preferred one, until a try succeeds or fails in a way that must not be
// retried. try reports errors; a nil error ends the loop.
func (c *Client) each(ctx context.Context, try func(i int) error) (attempts int, err error) {
	return c.eachOf(ctx, nil, try)
}

// eachOf is each over the URL indexes in only (nil: every URL), for
// callers that may use some backends and not others.
func (c *Client) eachOf(ctx context.Context, only []int, try func(i int) error) (attempts int, err error) {
	order := only
	if order == nil {
		order = make([]int, len(c.urls))
		for i := range order {
			order[i] = i
		}
	}
	start := max(slices.Index(order, int(c.pref.Load())), 0)
	// Backends left out take their tries with them.
	tries := max(1, c.cfg.Attempts-len(c.urls)+len(order))
	var last error
	for n := range tries {
		i := order[(start+n)%len(order)]
		if n >= len(order) {
			if err := sleep(ctx, c.cfg.RetryBackoff); err != nil {
				return n, err
			}
		}
		err := try(i)
		if err == nil {
			c.prefer(i)
			return n + 1, nil
		}
		if ctx.Err() != nil {
			return n + 1, fmt.Errorf("inference: %w", ctx.Err())
		}
		if !retryable(err) {
			return n + 1, err
		}
		last = err
	}
	return tries, fmt.Errorf("%w after %d attempts: %w", ErrUnavailable, tries, last)
}

// request builds a request to base+path with the API key.
func (c *Client) request(ctx context.Context, method, base, path string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("inference: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	return req, nil
}

// call sends a request and returns the 200 body, or a *StatusError.
func (c *Client) call(ctx context.Context, method, base, path string, body []byte) ([]byte, error) {
	req, err := c.request(ctx, method, base, path, body)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("inference: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("inference: %s %s: read: %w", method, path, err)
	}
	if len(data) > maxResponse {
		return nil, fmt.Errorf("%w: %s answer over %d bytes", ErrProtocol, path, maxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, parseError(resp.StatusCode, data)
	}
	return data, nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("inference: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}
