package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/connectors"
	"confidant/connectors/google"
	"confidant/connectors/oauth"
	"confidant/internal/fakegoogle"
	"confidant/internal/oauthtest"
	"confidant/internal/testdb"
	"confidant/store"
)

const redirect = "http://localhost:8080/connections/oauth/callback"

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newUser(t *testing.T, s *store.Store, name string) uuid.UUID {
	t.Helper()
	u := store.User{ID: uuid.New(), Username: name, DisplayName: name, CreatedAt: time.Now()}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestFlow(t *testing.T) {
	t.Parallel()
	st := testdb.NewStore(t)
	g := fakegoogle.New(t, "alice@example.com")
	clk := &clock{t: time.Now()}
	opts := google.Options{ClientID: fakegoogle.ClientID, ClientSecret: fakegoogle.ClientSecret, BaseURL: g.URL}
	flow := oauth.NewFlow([]oauth.Provider{google.Provider(opts), {Kind: connectors.KindMicrosoft}}, st, redirect, nil, clk.now)
	alice, bob := newUser(t, st, "alice"), newUser(t, st, "bob")
	ctx := context.Background()

	if got := flow.Offered(); len(got) != 1 || got[0] != connectors.KindGmail {
		t.Errorf("offered %v; a kind without a client id must not be offered", got)
	}
	if _, err := flow.Start(ctx, alice, connectors.KindMicrosoft); !errors.Is(err, oauth.ErrNotOffered) {
		t.Errorf("start without a client id: %v", err)
	}

	t.Run("authorize URL", func(t *testing.T) {
		authURL, err := flow.Start(ctx, alice, connectors.KindGmail)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(authURL)
		q := u.Query()
		if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || len(q.Get("state")) < 43 ||
			q.Get("access_type") != "offline" || q.Get("redirect_uri") != redirect || !strings.Contains(q.Get("scope"), "gmail.readonly") {
			t.Errorf("authorize query = %v", q)
		}
	})

	t.Run("code exchanged with the verifier", func(t *testing.T) {
		authURL, err := flow.Start(ctx, alice, connectors.KindGmail)
		if err != nil {
			t.Fatal(err)
		}
		back := oauthtest.Authorize(t, authURL, redirect)
		before := g.OAuth.Counts()
		s, err := flow.Finish(ctx, alice, back.Get("state"), back.Get("code"))
		if err != nil {
			t.Fatal(err)
		}
		if s.Kind != connectors.KindGmail || s.Account != "alice@example.com" || s.AccessToken == "" || s.RefreshToken == "" ||
			s.TokenExpiry.Before(clk.t.Add(50*time.Minute)) {
			t.Errorf("settings = kind %q account %q expiry %v", s.Kind, s.Account, s.TokenExpiry)
		}
		if after := g.OAuth.Counts(); after.Exchanges != before.Exchanges+1 || after.PKCEFailures != 0 {
			t.Errorf("fake counts %+v", after)
		}
		// The state is single use.
		if _, err := flow.Finish(ctx, alice, back.Get("state"), back.Get("code")); !errors.Is(err, oauth.ErrBadState) {
			t.Errorf("reused state: %v", err)
		}
	})

	t.Run("the fake checks the verifier", func(t *testing.T) {
		authURL, err := flow.Start(ctx, alice, connectors.KindGmail)
		if err != nil {
			t.Fatal(err)
		}
		back := oauthtest.Authorize(t, authURL, redirect)
		resp, err := http.PostForm(g.URL+fakegoogle.TokenPath, url.Values{"grant_type": {"authorization_code"}, "code": {back.Get("code")},
			"redirect_uri": {redirect}, "client_id": {fakegoogle.ClientID}, "client_secret": {fakegoogle.ClientSecret},
			"code_verifier": {strings.Repeat("x", 43)}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || g.OAuth.Counts().PKCEFailures != 1 {
			t.Fatalf("a wrong verifier got %d", resp.StatusCode)
		}
		// The code is spent even though the exchange failed.
		if _, err := flow.Finish(ctx, alice, back.Get("state"), back.Get("code")); !errors.Is(err, oauth.ErrExchange) {
			t.Errorf("finish with a spent code: %v", err)
		}
	})

	t.Run("another user's state is refused and kept for its owner", func(t *testing.T) {
		authURL, err := flow.Start(ctx, alice, connectors.KindGmail)
		if err != nil {
			t.Fatal(err)
		}
		back := oauthtest.Authorize(t, authURL, redirect)
		if _, err := flow.Finish(ctx, bob, back.Get("state"), back.Get("code")); !errors.Is(err, oauth.ErrBadState) {
			t.Fatalf("bob finishing alice's state: %v", err)
		}
		if _, err := flow.Finish(ctx, alice, back.Get("state"), back.Get("code")); err != nil {
			t.Fatalf("alice after bob's try: %v", err)
		}
	})

	t.Run("expired state", func(t *testing.T) {
		authURL, err := flow.Start(ctx, alice, connectors.KindGmail)
		if err != nil {
			t.Fatal(err)
		}
		back := oauthtest.Authorize(t, authURL, redirect)
		clk.t = clk.t.Add(oauth.StateTTL + time.Second)
		defer func() { clk.t = clk.t.Add(-oauth.StateTTL - time.Second) }()
		if _, err := flow.Finish(ctx, alice, back.Get("state"), back.Get("code")); !errors.Is(err, oauth.ErrBadState) {
			t.Fatalf("expired state: %v", err)
		}
	})

	t.Run("unknown state", func(t *testing.T) {
		if _, err := flow.Finish(ctx, alice, "made-up", "code"); !errors.Is(err, oauth.ErrBadState) {
			t.Fatalf("unknown state: %v", err)
		}
	})
}
