package inference_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"confidant/inference"
	"confidant/inference/simbackend"
)

// backend is a simulated backend on a test server that counts chat
// requests and can answer the first ones itself (to fail them).
type backend struct {
	URL   string
	sim   *simbackend.Server
	chats atomic.Int32
	// reports counts attestation report requests.
	reports atomic.Int32
	// embeds counts embedding requests.
	embeds atomic.Int32
	// before, when set, may answer chat request n (1-based) instead of
	// the simulator and reports whether it did.
	before func(n int, w http.ResponseWriter, r *http.Request) bool
}

func newBackend(t *testing.T, opts simbackend.Options) *backend {
	t.Helper()
	b := &backend{sim: simbackend.New(opts)}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/attestation/report" {
			b.reports.Add(1)
		}
		if r.URL.Path == "/v1/embeddings" {
			b.embeds.Add(1)
		}
		if r.URL.Path == "/v1/chat/completions" {
			n := int(b.chats.Add(1))
			if b.before != nil && b.before(n, w, r) {
				return
			}
		}
		b.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	b.URL = ts.URL
	return b
}

// refusedURL returns a URL on which nothing listens.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// newClient returns a client for urls with short timeouts and no backoff
// to speak of.
func newClient(t *testing.T, cfg inference.Config, urls ...string) *inference.Client {
	t.Helper()
	cfg.BaseURL = strings.Join(urls, ",")
	if cfg.StreamIdleTimeout == 0 {
		cfg.StreamIdleTimeout = 5 * time.Second
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	cfg.RetryBackoff = time.Millisecond
	c, err := inference.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// chat builds a request with a system message and one user message.
func chat(user string) inference.ChatRequest {
	return inference.ChatRequest{
		Model: simbackend.ChatModel,
		Messages: []inference.Message{
			{Role: inference.RoleSystem, Content: "You are terse."},
			{Role: inference.RoleUser, Content: user},
		},
	}
}

// collect returns an onDelta that records the deltas.
func collect(deltas *[]inference.Delta) func(inference.Delta) error {
	return func(d inference.Delta) error {
		*deltas = append(*deltas, d)
		return nil
	}
}

func joinContent(deltas []inference.Delta) string {
	var b strings.Builder
	for _, d := range deltas {
		b.WriteString(d.Content)
	}
	return b.String()
}
