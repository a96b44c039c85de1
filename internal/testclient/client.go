// Package testclient is an HTTP client for tests that behaves like the
// app's own JavaScript: it keeps cookies, reads the CSRF token from pages,
// and runs passkey ceremonies with a software authenticator.
package testclient

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"confidant/internal/softauthn"
	"confidant/internal/testserver"
)

// Client is a cookie-keeping HTTP client that behaves like the app's own
// JavaScript: it reads the CSRF token from pages and sends it back.
type Client struct {
	UserAgent string // sent with every request when set
	t         testing.TB
	Base      string
	HTTP      *http.Client
	CSRF      string
}

// New returns a client for srv.
func New(t testing.TB, srv *testserver.Server) *Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, Base: srv.URL, HTTP: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)

// Get fetches a page and remembers its CSRF token.
func (c *Client) Get(path string) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.Base+path, nil)
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if m := csrfMeta.FindSubmatch(body); m != nil {
		c.CSRF = string(m[1])
	}
	return res, string(body)
}

// PostJSON posts a JSON body with the CSRF header.
func (c *Client) PostJSON(path string, body []byte) (*http.Response, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.Base+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.CSRF)
	return c.Do(req)
}

// PostForm posts a form with the CSRF field.
func (c *Client) PostForm(path string, form url.Values) (*http.Response, []byte) {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", c.CSRF)
	req, _ := http.NewRequest(http.MethodPost, c.Base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

// Do sends a request and reads the whole answer.
func (c *Client) Do(req *http.Request) (*http.Response, []byte) {
	c.t.Helper()
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

// Challenge is the begin endpoints' answer.
type Challenge struct {
	Ceremony string          `json:"ceremony"`
	Options  json.RawMessage `json:"options"`
}

// Finished is what a finished ceremony answers.
type Finished struct {
	APIKey        string   `json:"api_key"`
	Redirect      string   `json:"redirect"`
	RecoveryCodes []string `json:"recovery_codes"`
}

// SignUp runs the sign-up ceremony over HTTP with a software authenticator.
func (c *Client) SignUp(a *softauthn.Authenticator, username, display string) Finished {
	c.t.Helper()
	c.Get("/signup")
	req, _ := json.Marshal(map[string]string{"username": username, "display_name": display})
	res, body := c.PostJSON("/auth/signup/begin", req)
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("signup begin: %d %s", res.StatusCode, body)
	}
	var ch Challenge
	if err := json.Unmarshal(body, &ch); err != nil {
		c.t.Fatal(err)
	}
	resp, _, err := a.Create(ch.Options)
	if err != nil {
		c.t.Fatal(err)
	}
	res, body = c.PostJSON("/auth/signup/finish?ceremony="+ch.Ceremony, resp)
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("signup finish: %d %s", res.StatusCode, body)
	}
	var out Finished
	if err := json.Unmarshal(body, &out); err != nil {
		c.t.Fatal(err)
	}
	return out
}

// Cookie returns the value of the named cookie the client holds.
func (c *Client) Cookie(name string) string {
	u, _ := url.Parse(c.Base)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// Ceremony runs one WebAuthn ceremony: it posts body to begin, lets answer
// turn the options into the browser's response, and posts that to finish.
func (c *Client) Ceremony(begin string, body any, finish string, answer func(options []byte) ([]byte, error)) Finished {
	c.t.Helper()
	req, _ := json.Marshal(body)
	res, raw := c.PostJSON(begin, req)
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("%s: %d %s", begin, res.StatusCode, raw)
	}
	var ch Challenge
	if err := json.Unmarshal(raw, &ch); err != nil {
		c.t.Fatal(err)
	}
	resp, err := answer(ch.Options)
	if err != nil {
		c.t.Fatal(err)
	}
	res, raw = c.PostJSON(finish+"?ceremony="+ch.Ceremony, resp)
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("%s: %d %s", finish, res.StatusCode, raw)
	}
	var out Finished
	if err := json.Unmarshal(raw, &out); err != nil {
		c.t.Fatal(err)
	}
	return out
}

// Creates adapts an authenticator's Create to Ceremony.
func Creates(a *softauthn.Authenticator) func([]byte) ([]byte, error) {
	return func(opts []byte) ([]byte, error) {
		resp, _, err := a.Create(opts)
		return resp, err
	}
}

// CreateAPIKey makes an API key through the settings page's passkey
// confirmation, as a person would, and returns its secret.
func (c *Client) CreateAPIKey(a *softauthn.Authenticator, name string, scopes ...string) string {
	c.t.Helper()
	c.Get("/settings/api-keys")
	out := c.Ceremony("/settings/api-keys/begin", map[string]any{"name": name, "scopes": scopes}, "/settings/api-keys/finish", a.Get)
	if out.APIKey == "" {
		c.t.Fatal("no API key in the answer")
	}
	return out.APIKey
}
