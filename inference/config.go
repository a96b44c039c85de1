package inference

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Config configures a Client. Zero durations take the defaults shown.
type Config struct {
	// BaseURL is one or more backend URLs, comma-separated, in order of
	// preference (CONFIDANT_BACKEND_URL). Each may end in /v1 or not.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer KEY" when set.
	APIKey string
	// ConnectTimeout bounds dialing a backend (5s).
	ConnectTimeout time.Duration
	// HeaderTimeout bounds the wait for response headers (60s).
	HeaderTimeout time.Duration
	// StreamIdleTimeout bounds the silence between stream events (60s).
	StreamIdleTimeout time.Duration
	// RequestTimeout bounds each try of a non-streaming call (120s).
	RequestTimeout time.Duration
	// Attempts is how many tries a call gets before its first token
	// (default: one per URL plus one).
	Attempts int
	// RetryBackoff is the pause before trying a URL again that already
	// failed in this call (250ms); moving to another URL does not wait.
	RetryBackoff time.Duration
	// HTTPClient replaces the built-in client; ConnectTimeout and
	// HeaderTimeout then do not apply.
	HTTPClient *http.Client
}

// withDefaults fills in the zero fields.
func (c Config) withDefaults(urls int) Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ConnectTimeout, 5*time.Second)
	def(&c.HeaderTimeout, 60*time.Second)
	def(&c.StreamIdleTimeout, 60*time.Second)
	def(&c.RequestTimeout, 120*time.Second)
	def(&c.RetryBackoff, 250*time.Millisecond)
	if c.Attempts <= 0 {
		c.Attempts = urls + 1
	}
	return c
}

// ParseBaseURLs splits a comma-separated list of backend URLs and returns
// each as its root, without a trailing slash or /v1: paths such as
// "/v1/chat/completions" are appended to it.
func ParseBaseURLs(list string) ([]string, error) {
	var out []string
	for _, raw := range strings.Split(list, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%w: backend URL %q must be http(s)://host[:port][/path]", ErrConfig, raw)
		}
		if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, fmt.Errorf("%w: backend URL %q must not carry a query, fragment or credentials", ErrConfig, raw)
		}
		root := strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/")
		out = append(out, strings.TrimSuffix(root, "/v1"))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no backend URL", ErrConfig)
	}
	return out, nil
}
