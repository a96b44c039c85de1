package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"confidant/attestation"
	"confidant/config"
	"confidant/internal/softauthn"
	"confidant/internal/testclient"
	"confidant/internal/testdb"
	"confidant/internal/testserver"
	"confidant/web"
)

func start(t *testing.T) *testserver.Server {
	t.Helper()
	t.Parallel()
	return testserver.Start(t, testserver.Options{})
}

var scriptNonce = regexp.MustCompile(`<script [^>]*nonce="([^"]+)"`)

func TestSecurityHeaders(t *testing.T) {
	srv := start(t)
	c := testclient.New(t, srv)
	res1, body := c.Get("/login")
	res2, _ := c.Get("/login")
	csp := res1.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP lacks %q: %s", want, csp)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows unsafe sources: %s", csp)
	}
	m := scriptNonce.FindStringSubmatch(body)
	if m == nil || !strings.Contains(csp, "'nonce-"+m[1]+"'") {
		t.Errorf("script nonce does not match the CSP header")
	}
	if res2.Header.Get("Content-Security-Policy") == csp {
		t.Error("nonce reused across responses")
	}
	want := map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}
	for k, v := range want {
		if got := res1.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if res1.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain http")
	}
	if res1.Header.Get(echoRequestID) == "" {
		t.Error("no request id")
	}
}

const echoRequestID = "X-Request-Id"

// TestTLSHeadersAndCookies checks what changes when the origin is https:
// HSTS, Secure and __Host- cookies.
func TestTLSHeadersAndCookies(t *testing.T) {
	t.Parallel()
	cfg, err := config.FromEnv(func(k string) string {
		return map[string]string{"CONFIDANT_ORIGIN": "https://confidant.test"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	st := testdb.NewStore(t)
	signers, err := attestation.NewSigners(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	e, err := web.New(web.Deps{Config: cfg, Store: st, Log: discardLogger(), EnclaveMode: "simulated",
		Reporter: attestation.NewReporter(nil, signers, nil)})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))
	if !strings.Contains(rec.Header().Get("Strict-Transport-Security"), "max-age=") {
		t.Error("no HSTS behind TLS")
	}
	for _, ck := range rec.Result().Cookies() {
		if !ck.Secure || !ck.HttpOnly {
			t.Errorf("cookie %s: secure %v httponly %v", ck.Name, ck.Secure, ck.HttpOnly)
		}
	}

	// Sign up through the handler and inspect the session cookie.
	a := softauthn.New("https://confidant.test")
	csrf := rec.Result().Cookies()[0]
	post := func(path string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", csrf.Value)
		req.AddCookie(csrf)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	begin := post("/auth/signup/begin", []byte(`{"username":"alice","display_name":"Alice"}`))
	var ch testclient.Challenge
	if err := json.Unmarshal(begin.Body.Bytes(), &ch); err != nil {
		t.Fatalf("begin: %d %s", begin.Code, begin.Body)
	}
	resp, _, err := a.Create(ch.Options)
	if err != nil {
		t.Fatal(err)
	}
	fin := post("/auth/signup/finish?ceremony="+ch.Ceremony, resp)
	var session *http.Cookie
	for _, ck := range fin.Result().Cookies() {
		if ck.Name == "__Host-confidant_session" {
			session = ck
		}
	}
	if session == nil || !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Domain != "" {
		t.Fatalf("session cookie = %+v (finish %d %s)", session, fin.Code, fin.Body)
	}
}

func TestCSRF(t *testing.T) {
	srv := start(t)
	c := testclient.New(t, srv)
	c.Get("/login")
	tests := []struct {
		name    string
		header  map[string]string
		wantErr bool
	}{
		{"no token", nil, true},
		{"wrong token", map[string]string{"X-CSRF-Token": "forged"}, true},
		{"cross-site browser request", map[string]string{"Sec-Fetch-Site": "cross-site", "X-CSRF-Token": "forged"}, true},
		{"token from the page", map[string]string{"X-CSRF-Token": c.CSRF}, false},
		{"same-origin browser request", map[string]string{"Sec-Fetch-Site": "same-origin"}, false},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/auth/login/begin", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range tt.header {
			req.Header.Set(k, v)
		}
		res, body := c.Do(req)
		if tt.wantErr {
			var e struct {
				Error struct{ Code, Message string }
			}
			_ = json.Unmarshal(body, &e)
			if res.StatusCode != http.StatusForbidden || e.Error.Code != "csrf_failed" || e.Error.Message == "" {
				t.Errorf("%s: %d %s", tt.name, res.StatusCode, body)
			}
		} else if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", tt.name, res.StatusCode, body)
		}
	}
	// A wrong header is refused even with the right form field: the form
	// (a large upload) is never parsed when the header is there.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/logout", strings.NewReader("_csrf="+c.CSRF))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", "forged")
	if res, body := c.Do(req); res.StatusCode != http.StatusForbidden {
		t.Errorf("wrong header, right form field: %d %s", res.StatusCode, body)
	}
	// A form post without the token gets a page a person understands.
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/logout", nil)
	res, body := c.Do(req)
	if res.StatusCode != http.StatusForbidden || !bytes.Contains(body, []byte("Reload it and try again")) {
		t.Errorf("form without token: %d", res.StatusCode)
	}
}

func TestBadInput(t *testing.T) {
	srv := start(t)
	c := testclient.New(t, srv)
	c.Get("/login")
	tests := []struct {
		name   string
		path   string
		body   []byte
		status int
		code   string
	}{
		{"oversized body", "/auth/login/begin", bytes.Repeat([]byte("x"), 2<<20), http.StatusRequestEntityTooLarge, "too_large"},
		{"not json", "/auth/signup/begin", []byte("{"), http.StatusBadRequest, "bad_request"},
		{"bad username", "/auth/signup/begin", []byte(`{"username":"<script>","display_name":"x"}`), http.StatusBadRequest, "invalid_username"},
		{"missing ceremony", "/auth/login/finish", []byte(`{}`), http.StatusBadRequest, "ceremony_expired"},
		{"unknown ceremony", "/auth/login/finish?ceremony=2f1c6a8e-0000-4000-8000-000000000000", []byte(`{}`), http.StatusBadRequest, "ceremony_expired"},
		{"garbage assertion", "/auth/login/finish?ceremony=", []byte(`{"id":1}`), http.StatusBadRequest, "ceremony_expired"},
		{"unknown user", "/auth/login/begin", []byte(`{"username":"nobody"}`), http.StatusNotFound, "unknown_user"},
		{"wrong recovery code", "/auth/recover/begin", []byte(`{"username":"nobody","code":"AAAA-BBBB-CCCC"}`), http.StatusUnauthorized, "recovery_failed"},
	}
	for _, tt := range tests {
		res, body := c.PostJSON(tt.path, tt.body)
		var e struct {
			Error struct{ Code, Message string }
		}
		_ = json.Unmarshal(body, &e)
		if res.StatusCode != tt.status || e.Error.Code != tt.code || e.Error.Message == "" {
			t.Errorf("%s: %d %s, want %d %s", tt.name, res.StatusCode, body, tt.status, tt.code)
		}
	}
	// A valid ceremony with a malformed response is a 400, not a 500.
	res, body := c.PostJSON("/auth/login/begin", []byte(`{}`))
	var ch testclient.Challenge
	_ = json.Unmarshal(body, &ch)
	res, body = c.PostJSON("/auth/login/finish?ceremony="+ch.Ceremony, []byte(`{"type":"public-key","response":{"clientDataJSON":"!!"}}`))
	if res.StatusCode != http.StatusBadRequest || !bytes.Contains(body, []byte("passkey_rejected")) {
		t.Errorf("malformed assertion: %d %s", res.StatusCode, body)
	}
	if strings.Contains(srv.Logs.String(), "level=ERROR") {
		t.Errorf("bad input logged as a server error:\n%s", srv.Logs.String())
	}
}

func TestRateLimit(t *testing.T) {
	srv := start(t)
	c := testclient.New(t, srv)
	c.Get("/login")
	limited := 0
	for range 60 {
		res, _ := c.PostJSON("/auth/login/begin", []byte(`{}`))
		if res.StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("60 rapid ceremony requests were never rate limited")
	}
	if res, _ := c.Get("/login"); res.StatusCode != http.StatusOK {
		t.Errorf("pages limited too: %d", res.StatusCode)
	}
}

func TestPagesAndRedirects(t *testing.T) {
	srv := start(t)
	c := testclient.New(t, srv)
	tests := []struct {
		path     string
		status   int
		location string
		contains string
	}{
		{"/", http.StatusSeeOther, "/login", ""},
		{"/settings/passkeys", http.StatusSeeOther, "/login", ""},
		{"/login", http.StatusOK, "", "Sign in with a passkey"},
		{"/signup", http.StatusOK, "", "Create account"},
		{"/recover", http.StatusOK, "", "Recovery code"},
		{"/attestation", http.StatusOK, "", "development mode"},
		{"/no/such/page", http.StatusNotFound, "", "There is nothing at this address."},
		{"/healthz", http.StatusOK, "", `"ok"`},
		{"/readyz", http.StatusOK, "", `"ready"`},
	}
	for _, tt := range tests {
		res, body := c.Get(tt.path)
		if res.StatusCode != tt.status || res.Header.Get("Location") != tt.location || !strings.Contains(body, tt.contains) {
			t.Errorf("GET %s = %d %q, want %d %q containing %q", tt.path, res.StatusCode, res.Header.Get("Location"), tt.status, tt.location, tt.contains)
		}
	}
	// Signed-out state changes are refused with 401, not redirected.
	c.Get("/login")
	res, _ := c.PostForm("/settings/sessions/revoke-others", nil)
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed-out POST: %d", res.StatusCode)
	}
}

var assetURL = regexp.MustCompile(`href="(/static/app\.[0-9a-f]{12}\.css)"`)

func TestStaticAssets(t *testing.T) {
	srv := start(t)
	c := testclient.New(t, srv)
	_, body := c.Get("/login")
	m := assetURL.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no hashed stylesheet link")
	}
	res, css := c.Get(m[1])
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") || len(css) < 100 {
		t.Errorf("asset: %d %v", res.StatusCode, res.Header)
	}
	if res, _ := c.Get("/static/app.css"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unhashed asset served: %d", res.StatusCode)
	}
}

// TestOwnerChecks signs up two people and has one try to act on the
// other's passkeys and sessions.
func TestOwnerChecks(t *testing.T) {
	srv := start(t)
	alice, mallory := testclient.New(t, srv), testclient.New(t, srv)
	alice.SignUp(softauthn.New(srv.URL), "alice", "Alice Canary-7f3a")
	mallory.SignUp(softauthn.New(srv.URL), "mallory", "Mallory")

	ctx := t.Context()
	user, err := srv.Store.UserByUsername(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := srv.Store.PasskeysByUser(ctx, user.ID)
	sessions, _ := srv.Store.SessionsByUser(ctx, user.ID, time.Now())
	mallory.Get("/settings/passkeys")
	for _, path := range []string{
		"/settings/passkeys/" + keys[0].ID.String() + "/rename",
		"/settings/passkeys/" + keys[0].ID.String() + "/delete",
		"/settings/sessions/" + sessions[0].ID.String() + "/revoke",
		"/settings/passkeys/not-a-uuid/delete",
	} {
		res, _ := mallory.PostForm(path, url.Values{"name": {"pwned"}})
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s by another user: %d", path, res.StatusCode)
		}
	}
	after, _ := srv.Store.PasskeysByUser(ctx, user.ID)
	if len(after) != 1 || after[0].Name != keys[0].Name {
		t.Errorf("alice's passkey changed: %+v", after)
	}
	if res, _ := alice.Get("/settings/passkeys"); res.StatusCode != http.StatusOK {
		t.Errorf("alice lost her session: %d", res.StatusCode)
	}
}

// TestNoSecretsInLogs signs up and checks that the logs hold neither the
// session token, the recovery codes nor the display name.
func TestNoSecretsInLogs(t *testing.T) {
	srv := start(t)
	c := testclient.New(t, srv)
	out := c.SignUp(softauthn.New(srv.URL), "alice", "Canary-Display-91c2")
	c.Get("/settings/passkeys")
	c.Get("/settings/activity")
	logs := srv.Logs.String()
	secrets := append([]string{c.Cookie("confidant_session"), c.Cookie("confidant_csrf"), "Canary-Display-91c2"}, out.RecoveryCodes...)
	for _, s := range secrets {
		if s == "" {
			t.Fatal("missing secret to look for")
		}
		if strings.Contains(logs, s) {
			t.Errorf("log contains a secret or user content: %q", s)
		}
	}
}
