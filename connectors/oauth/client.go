package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"confidant/connectors"
)

// ErrReauth means the provider no longer accepts the grant (refresh token
// revoked or expired, or a fresh access token still refused): only the
// user connecting again helps.
var ErrReauth = errors.New("oauth: the provider no longer accepts the grant")

// refreshEarly is how long before its expiry an access token is renewed.
const refreshEarly = time.Minute

// Client makes API requests with a connector's tokens, renewing the access
// token before it expires and once on a 401.
type Client struct {
	provider Provider
	http     *http.Client
	save     connectors.TokenSaver
	now      func() time.Time

	mu       sync.Mutex
	settings connectors.Settings
	unsaved  bool // settings hold renewed tokens that save has not taken yet
}

// NewClient returns a client for the tokens in s. save, if not nil, gets
// every renewed token set before it is used.
func NewClient(p Provider, s connectors.Settings, dial connectors.Dialer, save connectors.TokenSaver, now func() time.Time) *Client {
	if now == nil {
		now = time.Now
	}
	return &Client{provider: p, http: HTTPClient(dial), save: save, now: now, settings: s}
}

// HTTP is the underlying client, for requests that carry no token.
func (c *Client) HTTP() *http.Client { return c.http }

// Settings returns the current tokens.
func (c *Client) Settings() connectors.Settings {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.settings
}

// Do sends req with the access token. A token near its expiry is renewed
// first; a 401 renews it once and retries (req must have GetBody if it has
// a body). A 401 after that is ErrReauth.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	token, err := c.token(ctx, false)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(req, token)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	drain(resp)
	if token, err = c.token(ctx, true); err != nil {
		return nil, err
	}
	if req.Body != nil && req.GetBody != nil {
		if req.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	if resp, err = c.send(req, token); err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		drain(resp)
		return nil, fmt.Errorf("%w: a fresh access token was refused", ErrReauth)
	}
	return resp, nil
}

func (c *Client) send(req *http.Request, token string) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+token)
	return c.http.Do(r)
}

// token returns an access token valid for a while, renewing it when force
// is set or when it is about to expire.
func (c *Client) token(ctx context.Context, force bool) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.saveUnsaved(ctx); err != nil {
		return "", err
	}
	s := c.settings
	if !force && s.AccessToken != "" && (s.TokenExpiry.IsZero() || c.now().Add(refreshEarly).Before(s.TokenExpiry)) {
		return s.AccessToken, nil
	}
	if s.RefreshToken == "" {
		return "", fmt.Errorf("%w: no refresh token", ErrReauth)
	}
	// An expired token makes the refresher ask the token endpoint.
	src := c.provider.config("").TokenSource(withClient(ctx, c.http), &oauth2.Token{RefreshToken: s.RefreshToken, Expiry: time.Unix(1, 0)})
	tok, err := src.Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && (re.ErrorCode == "invalid_grant" || re.ErrorCode == "unauthorized_client" ||
			(re.Response != nil && (re.Response.StatusCode == http.StatusBadRequest || re.Response.StatusCode == http.StatusUnauthorized))) {
			return "", fmt.Errorf("%w: %s", ErrReauth, describe(err))
		}
		return "", fmt.Errorf("oauth refresh: %s", describe(err))
	}
	s.AccessToken = tok.AccessToken
	if tok.RefreshToken != "" {
		s.RefreshToken = tok.RefreshToken // Microsoft rotates it on every use
	}
	s.TokenExpiry = tok.Expiry.UTC()
	// Kept even if saving fails: a rotated refresh token is the only one
	// that still works, so saving it is retried before the next request.
	c.settings, c.unsaved = s, true
	if err := c.saveUnsaved(ctx); err != nil {
		return "", err
	}
	return s.AccessToken, nil
}

// saveUnsaved hands renewed tokens to the TokenSaver; c.mu is held.
func (c *Client) saveUnsaved(ctx context.Context) error {
	if !c.unsaved || c.save == nil {
		c.unsaved = false
		return nil
	}
	if err := c.save(ctx, c.settings); err != nil {
		return fmt.Errorf("oauth refresh: save tokens: %w", err)
	}
	c.unsaved = false
	return nil
}

// Revoke asks the provider to revoke the refresh token (which, at Google,
// revokes the access tokens issued from it too). Providers without a
// revocation endpoint make it a no-op.
func (c *Client) Revoke(ctx context.Context) error {
	if c.provider.Endpoints.RevokeURL == "" {
		return nil
	}
	s := c.Settings()
	token := s.RefreshToken
	if token == "" {
		token = s.AccessToken
	}
	if token == "" {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.provider.Endpoints.RevokeURL,
		strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		return fmt.Errorf("oauth revoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("oauth revoke: %w", err)
	}
	defer drain(resp)
	// 400 invalid_token: already revoked or expired, which is what we want.
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusBadRequest {
		return fmt.Errorf("oauth revoke: status %d", resp.StatusCode)
	}
	return nil
}

// RetryAfter reads a Retry-After header (seconds or an HTTP date); def
// when it is absent or unreadable.
func RetryAfter(h http.Header, now time.Time, def time.Duration) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return def
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
		return 0
	}
	return def
}

// RateLimited is the cause of a rate_limited connectors.Error: how long
// the provider asked to wait, for the job that retries the sync.
type RateLimited struct {
	RetryAfter time.Duration
}

func (e *RateLimited) Error() string {
	return fmt.Sprintf("rate limited, retry after %s", e.RetryAfter)
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}
