package web_test

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

// client is a cookie-keeping HTTP client that behaves like the app's own
// JavaScript: it reads the CSRF token from pages and sends it back.
type client struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func newClient(t *testing.T, srv *testserver.Server) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: srv.URL, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)">`)

// get fetches a page and remembers its CSRF token.
func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	res, err := c.http.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if m := csrfMeta.FindSubmatch(body); m != nil {
		c.csrf = string(m[1])
	}
	return res, string(body)
}

// postJSON posts a JSON body with the CSRF header.
func (c *client) postJSON(path string, body []byte) (*http.Response, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.base+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	return c.do(req)
}

// postForm posts a form with the CSRF field.
func (c *client) postForm(path string, form url.Values) (*http.Response, []byte) {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", c.csrf)
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (c *client) do(req *http.Request) (*http.Response, []byte) {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

// challenge is the begin endpoints' answer.
type challenge struct {
	Ceremony string          `json:"ceremony"`
	Options  json.RawMessage `json:"options"`
}

type finished struct {
	Redirect      string   `json:"redirect"`
	RecoveryCodes []string `json:"recovery_codes"`
}

// signUp runs the sign-up ceremony over HTTP with a software authenticator.
func (c *client) signUp(a *softauthn.Authenticator, username, display string) finished {
	c.t.Helper()
	c.get("/signup")
	req, _ := json.Marshal(map[string]string{"username": username, "display_name": display})
	res, body := c.postJSON("/auth/signup/begin", req)
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("signup begin: %d %s", res.StatusCode, body)
	}
	var ch challenge
	if err := json.Unmarshal(body, &ch); err != nil {
		c.t.Fatal(err)
	}
	resp, _, err := a.Create(ch.Options)
	if err != nil {
		c.t.Fatal(err)
	}
	res, body = c.postJSON("/auth/signup/finish?ceremony="+ch.Ceremony, resp)
	if res.StatusCode != http.StatusOK {
		c.t.Fatalf("signup finish: %d %s", res.StatusCode, body)
	}
	var out finished
	if err := json.Unmarshal(body, &out); err != nil {
		c.t.Fatal(err)
	}
	return out
}

// cookie returns the value of the named cookie the client holds.
func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}
