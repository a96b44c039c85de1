package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"confidant/connectors"
	"confidant/internal/fakegoogle"
	"confidant/internal/softauthn"
	"confidant/internal/testclient"
	"confidant/internal/testserver"
)

// connected records what the callback asked to connect.
type connected struct {
	mu    sync.Mutex
	calls []connectCall
}

type connectCall struct {
	userID   uuid.UUID
	settings connectors.Settings
}

func (c *connected) connect(_ context.Context, userID uuid.UUID, s connectors.Settings) (uuid.UUID, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, connectCall{userID, s})
	return uuid.New(), nil
}

func (c *connected) all() []connectCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]connectCall(nil), c.calls...)
}

// toProvider starts the flow as the client and follows the redirect to
// the fake, which consents (or denies) and sends back the callback URL.
func toProvider(t *testing.T, c *testclient.Client, g *fakegoogle.Server, srvURL string) string {
	t.Helper()
	res, _ := c.Get("/connections/oauth/google/start")
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, g.URL+fakegoogle.AuthPath+"?") {
		t.Fatalf("start: %d to %q", res.StatusCode, loc)
	}
	u, _ := url.Parse(loc)
	if got := u.Query().Get("redirect_uri"); got != srvURL+"/connections/oauth/callback" {
		t.Fatalf("redirect_uri %q", got)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	back, err := noFollow.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	back.Body.Close()
	cb := back.Header.Get("Location")
	if !strings.HasPrefix(cb, srvURL+"/connections/oauth/callback?") {
		t.Fatalf("provider sent the browser to %q", cb)
	}
	return strings.TrimPrefix(cb, srvURL)
}

func TestConnectOAuthHandlers(t *testing.T) {
	t.Parallel()
	g := fakegoogle.New(t, "alice@example.com")
	conn := &connected{}
	srv := testserver.Start(t, testserver.Options{ConnectOAuth: conn.connect, Env: map[string]string{
		"CONFIDANT_GOOGLE_CLIENT_ID": fakegoogle.ClientID, "CONFIDANT_GOOGLE_CLIENT_SECRET": fakegoogle.ClientSecret,
		"CONFIDANT_GOOGLE_BASE_URL": g.URL}})
	alice := testclient.New(t, srv)
	alice.SignUp(softauthn.New(srv.URL), "alice", "Alice")
	bob := testclient.New(t, srv)
	bob.SignUp(softauthn.New(srv.URL), "bob", "Bob")
	anon := testclient.New(t, srv)

	t.Run("signed out goes to the login page", func(t *testing.T) {
		res, _ := anon.Get("/connections/oauth/google/start")
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
			t.Fatalf("start signed out: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
	})

	t.Run("a kind without a client id is not offered", func(t *testing.T) {
		res, body := alice.Get("/connections/oauth/microsoft/start")
		if res.StatusCode != http.StatusNotFound || !strings.Contains(body, "cannot be connected here") {
			t.Fatalf("microsoft start: %d", res.StatusCode)
		}
		if res, _ := alice.Get("/connections/oauth/imap/start"); res.StatusCode != http.StatusNotFound {
			t.Fatalf("imap start: %d", res.StatusCode)
		}
	})

	t.Run("connect, and the state works once and only for its user", func(t *testing.T) {
		callback := toProvider(t, alice, g, srv.URL)
		q, _ := url.ParseQuery(callback[strings.Index(callback, "?")+1:])

		// The state is stored only hashed, the verifier sealed.
		db, err := pgx.Connect(context.Background(), srv.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close(context.Background())
		rows, _ := db.Query(context.Background(), `SELECT state_hash, verifier_sealed FROM oauth_states`)
		stored, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]byte, error) {
			var h, v []byte
			err := r.Scan(&h, &v)
			return append(h, v...), err
		})
		if err != nil || len(stored) != 1 || bytes.Contains(stored[0], []byte(q.Get("state"))) {
			t.Fatalf("oauth_states rows %d, err %v (or the state in plain text)", len(stored), err)
		}

		res, body := bob.Get(callback)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "started in another account") {
			t.Fatalf("bob on alice's callback: %d", res.StatusCode)
		}
		if len(conn.all()) != 0 {
			t.Fatal("bob's callback connected an account")
		}
		res, _ = alice.Get(callback)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connections?done=connected" {
			t.Fatalf("alice's callback: %d %q", res.StatusCode, res.Header.Get("Location"))
		}
		calls := conn.all()
		aliceUser, err := srv.Store.UserByUsername(context.Background(), "alice")
		if err != nil {
			t.Fatal(err)
		}
		if len(calls) != 1 || calls[0].userID != aliceUser.ID || calls[0].settings.Kind != connectors.KindGmail ||
			calls[0].settings.Account != "alice@example.com" || calls[0].settings.RefreshToken == "" {
			t.Fatalf("connect calls: %d", len(calls))
		}
		res, body = alice.Get(callback)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "already used") || len(conn.all()) != 1 {
			t.Fatalf("reused callback: %d", res.StatusCode)
		}
		// Neither the code, the state nor a token is logged.
		logs := srv.Logs.String()
		for _, secret := range []string{q.Get("code"), q.Get("state"), calls[0].settings.AccessToken, calls[0].settings.RefreshToken} {
			if strings.Contains(logs, secret) {
				t.Error("a code, state or token reached the log")
			}
		}
	})

	t.Run("denied consent", func(t *testing.T) {
		g.OAuth.Deny(true)
		defer g.OAuth.Deny(false)
		callback := toProvider(t, alice, g, srv.URL)
		res, body := alice.Get(callback)
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "You did not allow Confidant") {
			t.Fatalf("denied: %d", res.StatusCode)
		}
	})

	t.Run("incomplete or forged callbacks", func(t *testing.T) {
		for _, path := range []string{"/connections/oauth/callback", "/connections/oauth/callback?code=x",
			"/connections/oauth/callback?state=forged&code=x", "/connections/oauth/callback?error=server_error&state=x"} {
			res, body := alice.Get(path)
			if res.StatusCode < 400 || !strings.Contains(body, "data-testid=\"error-message\"") {
				t.Errorf("%s: %d", path, res.StatusCode)
			}
		}
		if len(conn.all()) != 1 {
			t.Error("a broken callback connected an account")
		}
	})
}

// TestConnectOAuthThroughService connects through the connectors service:
// the account is stored, its first sync reads the fake's mail and event.
func TestConnectOAuthThroughService(t *testing.T) {
	t.Parallel()
	g := fakegoogle.New(t, "alice@example.com")
	g.AddMessage([]byte("From: bob@example.org\r\nSubject: Hello from the fake\r\n\r\nHi Alice\r\n"), "INBOX")
	srv := testserver.Start(t, testserver.Options{Env: map[string]string{
		"CONFIDANT_GOOGLE_CLIENT_ID": fakegoogle.ClientID, "CONFIDANT_GOOGLE_CLIENT_SECRET": fakegoogle.ClientSecret,
		"CONFIDANT_GOOGLE_BASE_URL": g.URL}})
	alice := testclient.New(t, srv)
	alice.SignUp(softauthn.New(srv.URL), "alice", "Alice")
	res, _ := alice.Get(toProvider(t, alice, g, srv.URL))
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/connections") {
		t.Fatalf("callback: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, page := alice.Get("/connections")
		if strings.Contains(page, "alice@example.com") && strings.Contains(page, "1 item") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the connected account did not sync its message; page:\n%s", page)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
