package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"confidant/connectors"
	"confidant/internal/fakegoogle"
	"confidant/internal/testserver"
)

// TestConnectGoogleInBrowser connects a Google account as a person does:
// the browser goes to the provider (the fake, on another site) and comes
// back to the callback with its session cookie, which must survive the
// cross-site redirect.
func TestConnectGoogleInBrowser(t *testing.T) {
	g := fakegoogle.New(t, "alice@example.com")
	var mu sync.Mutex
	var got []connectors.Settings
	e := setup(t, testserver.Options{
		Env: map[string]string{"CONFIDANT_GOOGLE_CLIENT_ID": fakegoogle.ClientID, "CONFIDANT_GOOGLE_CLIENT_SECRET": fakegoogle.ClientSecret,
			"CONFIDANT_GOOGLE_BASE_URL": g.URL},
		ConnectOAuth: func(_ context.Context, _ uuid.UUID, s connectors.Settings) (uuid.UUID, error) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, s)
			return uuid.New(), nil
		},
	})
	tb := e.newTab()
	tb.signUp(signup{Username: "alice", DisplayName: "Alice"})

	tb.visit("/connections")
	if tb.count(tid("connect-microsoft")) != 0 {
		t.Error("Microsoft is offered without a client id")
	}
	tb.click(tid("connect-google"))
	tb.waitPath("/connections")
	mu.Lock()
	n := len(got)
	var s connectors.Settings
	if n == 1 {
		s = got[0]
	}
	mu.Unlock()
	if n != 1 || s.Account != "alice@example.com" || s.Kind != connectors.KindGmail {
		t.Fatalf("connected %d accounts (%q)", n, s.Account)
	}
	e.secret(s.AccessToken, s.RefreshToken)

	// Declining consent at the provider ends on a page that says so.
	g.OAuth.Deny(true)
	tb.open("/connections/oauth/google/start")
	tb.waitPath("/connections/oauth/callback")
	tb.waitVisible(tid("error-message"))
	if msg := tb.text(tid("error-message")); !strings.Contains(msg, "You did not allow Confidant") {
		t.Errorf("after declining: %q", msg)
	}
}
