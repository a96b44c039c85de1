package oauth_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/connectors"
	"confidant/connectors/google"
	"confidant/connectors/oauth"
	"confidant/internal/fakegoogle"
	"confidant/internal/oauthtest"
)

// tokensFor gets real tokens from the fake through its token endpoint.
func tokensFor(t *testing.T, p oauth.Provider) connectors.Settings {
	t.Helper()
	_, s := oauthtest.Connect(t, p)
	return s
}

func TestClient(t *testing.T) {
	t.Parallel()
	g := fakegoogle.New(t, "alice@example.com")
	p := google.Provider(google.Options{ClientID: fakegoogle.ClientID, ClientSecret: fakegoogle.ClientSecret, BaseURL: g.URL})
	profile := g.URL + fakegoogle.GmailPath + "/users/me/profile"
	get := func(c *oauth.Client) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, profile, nil)
		return c.Do(req)
	}

	t.Run("a refused fresh token is ErrReauth after one refresh", func(t *testing.T) {
		s := tokensFor(t, p)
		var saved int
		c := oauth.NewClient(p, s, nil, func(context.Context, connectors.Settings) error { saved++; return nil }, nil)
		g.OAuth.RejectAccessTokens(true)
		defer g.OAuth.RejectAccessTokens(false)
		before := g.OAuth.Counts().Refreshes
		if _, err := get(c); !errors.Is(err, oauth.ErrReauth) {
			t.Fatalf("Do: %v", err)
		}
		if n := g.OAuth.Counts().Refreshes - before; n != 1 || saved != 1 {
			t.Errorf("%d refreshes, %d saves; want exactly one of each", n, saved)
		}
	})

	t.Run("renewed tokens that could not be saved are saved before the next request", func(t *testing.T) {
		s := tokensFor(t, p)
		s.TokenExpiry = time.Now().Add(-time.Minute)
		var saved []connectors.Settings
		down := true
		c := oauth.NewClient(p, s, nil, func(_ context.Context, s connectors.Settings) error {
			if down {
				return errors.New("database down")
			}
			saved = append(saved, s)
			return nil
		}, nil)
		if _, err := get(c); err == nil || errors.Is(err, oauth.ErrReauth) {
			t.Fatalf("Do with a failing saver: %v", err)
		}
		down = false
		resp, err := get(c)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("Do after the saver recovered: %v", err)
		}
		resp.Body.Close()
		if len(saved) != 1 || saved[0].AccessToken == s.AccessToken || saved[0].AccessToken != c.Settings().AccessToken {
			t.Errorf("saved %d token sets; want the renewed one, once", len(saved))
		}
	})

	t.Run("no refresh token and an expired access token", func(t *testing.T) {
		c := oauth.NewClient(p, connectors.Settings{Kind: connectors.KindGmail, AccessToken: "x", TokenExpiry: time.Now().Add(-time.Hour)}, nil, nil, nil)
		if _, err := get(c); !errors.Is(err, oauth.ErrReauth) {
			t.Fatalf("Do: %v", err)
		}
	})

	t.Run("dials only through the injected dialer", func(t *testing.T) {
		s := tokensFor(t, p)
		var dials atomic.Int32
		dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return nil, errors.New("refused by the guard")
		}
		c := oauth.NewClient(p, s, dial, nil, nil)
		if _, err := get(c); err == nil || dials.Load() == 0 {
			t.Fatalf("Do through a refusing dialer: %v after %d dials", err, dials.Load())
		}
		flow := oauth.NewFlow([]oauth.Provider{p}, &oauthtest.States{}, redirect, dial, nil)
		user := uuid.New()
		authURL, err := flow.Start(context.Background(), user, connectors.KindGmail)
		if err != nil {
			t.Fatal(err)
		}
		back := oauthtest.Authorize(t, authURL, redirect)
		before := dials.Load()
		if _, err := flow.Finish(context.Background(), user, back.Get("state"), back.Get("code")); !errors.Is(err, oauth.ErrExchange) || dials.Load() == before {
			t.Fatalf("Finish through a refusing dialer: %v", err)
		}
	})

	t.Run("revoke twice", func(t *testing.T) {
		s := tokensFor(t, p)
		c := oauth.NewClient(p, s, nil, nil, nil)
		if err := c.Revoke(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := c.Revoke(context.Background()); err != nil {
			t.Fatalf("revoking an already revoked token: %v", err)
		}
		if g.OAuth.RefreshLive(s.RefreshToken) {
			t.Fatal("refresh token still live")
		}
	})
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"", 7 * time.Second},
		{"3", 3 * time.Second},
		{"Thu, 26 Nov 2026 12:00:30 GMT", 30 * time.Second},
		{"Thu, 26 Nov 2026 11:00:00 GMT", 0},
		{"soon", 7 * time.Second},
	} {
		h := http.Header{}
		if tc.header != "" {
			h.Set("Retry-After", tc.header)
		}
		if got := oauth.RetryAfter(h, now, 7*time.Second); got != tc.want {
			t.Errorf("Retry-After %q = %v, want %v", tc.header, got, tc.want)
		}
	}
}
