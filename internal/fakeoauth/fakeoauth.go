// Package fakeoauth is the OAuth 2.0 authorization server that the fake
// Google and Microsoft servers share: authorize (consenting at once, or
// denying), token exchange with PKCE (S256) verification, refresh and
// revocation, with knobs to expire and revoke tokens, and the gate in
// front of their APIs.
package fakeoauth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Authority issues and checks tokens for one fake provider.
type Authority struct {
	ClientID     string
	ClientSecret string
	// RotateRefresh issues a new refresh token on every refresh and retires
	// the old one, as Microsoft does; Google keeps the one it gave.
	RotateRefresh bool
	// ErrorBody writes a token endpoint error in the provider's format.
	ErrorBody func(code, description string) any

	mu       sync.Mutex
	now      func() time.Time
	ttl      time.Duration
	deny     bool
	reject   bool
	codes    map[string]*grant
	access   map[string]accessToken
	refresh  map[string]bool // live refresh tokens
	counts   Counts
	lastAuth url.Values
}

// Counts says what the authority was asked.
type Counts struct {
	Exchanges       int
	PKCEFailures    int
	Refreshes       int
	RefusedRefresh  int
	Revocations     int
	RefusedRequests int // API requests with a bad access token
}

type grant struct {
	challenge   string
	redirectURI string
	scope       string
	used        bool
}

type accessToken struct {
	refresh string
	expires time.Time
}

// New returns an authority for one client.
func New(clientID, clientSecret string) *Authority {
	return &Authority{ClientID: clientID, ClientSecret: clientSecret, now: time.Now, ttl: time.Hour,
		codes: map[string]*grant{}, access: map[string]accessToken{}, refresh: map[string]bool{}}
}

// SetAccessTTL sets the lifetime of access tokens issued from now on.
func (a *Authority) SetAccessTTL(d time.Duration) { a.mu.Lock(); a.ttl = d; a.mu.Unlock() }

// Deny makes the authorize endpoint answer access_denied, as when the
// person declines consent.
func (a *Authority) Deny(deny bool) { a.mu.Lock(); a.deny = deny; a.mu.Unlock() }

// RejectAccessTokens makes the API refuse every access token, even fresh
// ones (as when the app's access was blocked by an administrator).
func (a *Authority) RejectAccessTokens(reject bool) { a.mu.Lock(); a.reject = reject; a.mu.Unlock() }

// ExpireAccessTokens makes every access token issued so far invalid.
func (a *Authority) ExpireAccessTokens() {
	a.mu.Lock()
	defer a.mu.Unlock()
	clear(a.access)
}

// RevokeAll revokes every refresh and access token, as when the person
// removes the app's access in their account settings.
func (a *Authority) RevokeAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	clear(a.access)
	clear(a.refresh)
}

// Counts returns what the authority was asked so far.
func (a *Authority) Counts() Counts { a.mu.Lock(); defer a.mu.Unlock(); return a.counts }

// LastAuthorize returns the query of the last authorize request.
func (a *Authority) LastAuthorize() url.Values { a.mu.Lock(); defer a.mu.Unlock(); return a.lastAuth }

// RefreshLive reports whether a refresh token is still accepted.
func (a *Authority) RefreshLive(token string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.refresh[token]
}

// Valid reports whether r carries a live access token.
func (a *Authority) Valid(r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	a.mu.Lock()
	defer a.mu.Unlock()
	at, found := a.access[token]
	if !ok || !found || !a.now().Before(at.expires) || a.reject {
		a.counts.RefusedRequests++
		return false
	}
	return true
}

// Authorize serves the authorize endpoint: it checks the request the way
// the providers do and redirects back at once with a code (the person
// consents) or with error=access_denied.
func (a *Authority) Authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	a.mu.Lock()
	a.lastAuth = q
	deny := a.deny
	a.mu.Unlock()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("client_id") != a.ClientID:
		http.Error(w, "Error 401: invalid_client. The OAuth client was not found.", http.StatusUnauthorized)
		return
	case err != nil || redirect.Scheme == "" || redirect.Host == "":
		http.Error(w, "Error 400: redirect_uri_mismatch", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("state") == "" || q.Get("scope") == "":
		http.Error(w, "Error 400: invalid_request", http.StatusBadRequest)
		return
	}
	back := url.Values{"state": {q.Get("state")}}
	if deny {
		back.Set("error", "access_denied")
	} else {
		code := random()
		a.mu.Lock()
		a.codes[code] = &grant{challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri"), scope: q.Get("scope")}
		a.mu.Unlock()
		back.Set("code", code)
		back.Set("scope", q.Get("scope"))
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// Token serves the token endpoint: authorization_code with PKCE, and
// refresh_token.
func (a *Authority) Token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		a.fail(w, http.StatusBadRequest, "invalid_request", "Bad Request")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != a.ClientID || secret != a.ClientSecret {
		a.fail(w, http.StatusUnauthorized, "invalid_client", "Unauthorized")
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		a.counts.Exchanges++
		g, ok := a.codes[r.PostForm.Get("code")]
		if !ok || g.used || g.redirectURI != r.PostForm.Get("redirect_uri") {
			a.fail(w, http.StatusBadRequest, "invalid_grant", "Bad Request")
			return
		}
		g.used = true // a code is good once, even if the verifier is wrong
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			a.counts.PKCEFailures++
			a.fail(w, http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code_challenge")
			return
		}
		rt := random()
		a.refresh[rt] = true
		a.issue(w, rt, true, g.scope)
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		if !a.refresh[rt] {
			a.counts.RefusedRefresh++
			a.fail(w, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
			return
		}
		a.counts.Refreshes++
		if a.RotateRefresh {
			delete(a.refresh, rt)
			rt = random()
			a.refresh[rt] = true
		}
		a.issue(w, rt, a.RotateRefresh, "")
	default:
		a.fail(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type")
	}
}

// issue writes a token response; a.mu is held.
func (a *Authority) issue(w http.ResponseWriter, refresh string, withRefresh bool, scope string) {
	at := random()
	a.access[at] = accessToken{refresh: refresh, expires: a.now().Add(a.ttl)}
	body := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": int(a.ttl.Seconds())}
	if withRefresh {
		body["refresh_token"] = refresh
	}
	if scope != "" {
		body["scope"] = scope
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(body)
}

// Revoke serves Google's revocation endpoint: a refresh token revokes
// itself and every access token issued from it.
func (a *Authority) Revoke(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		a.fail(w, http.StatusBadRequest, "invalid_request", "Bad Request")
		return
	}
	token := r.PostForm.Get("token")
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.refresh[token]:
		delete(a.refresh, token)
		for k, at := range a.access {
			if at.refresh == token {
				delete(a.access, k)
			}
		}
	case a.access[token] != accessToken{}:
		delete(a.access, token)
	default:
		a.fail(w, http.StatusBadRequest, "invalid_token", "Token expired or revoked")
		return
	}
	a.counts.Revocations++
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write([]byte("{}"))
}

func (a *Authority) fail(w http.ResponseWriter, status int, code, description string) {
	var body any = map[string]string{"error": code, "error_description": description}
	if a.ErrorBody != nil {
		body = a.ErrorBody(code, description)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
