// Package oauthtest holds what the OAuth connectors' tests share: the
// flow run against a fake provider, a connectors.Sink that keeps what a
// sync applied, and an in-memory oauth.States.
package oauthtest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/connectors"
	"confidant/connectors/oauth"
	"confidant/store"
)

// Redirect is the callback URL Connect registers.
const Redirect = "http://localhost:1/connections/oauth/callback"

// Connect runs the OAuth flow for a new user against a fake provider that
// consents at once, and returns the authorize URL (for checks) and the
// settings the flow ends with.
func Connect(t testing.TB, p oauth.Provider) (authURL string, s connectors.Settings) {
	t.Helper()
	flow := oauth.NewFlow([]oauth.Provider{p}, &States{}, Redirect, nil, nil)
	user := uuid.New()
	authURL, err := flow.Start(context.Background(), user, p.Kind)
	if err != nil {
		t.Fatal(err)
	}
	back := Authorize(t, authURL, Redirect)
	s, err = flow.Finish(context.Background(), user, back.Get("state"), back.Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	return authURL, s
}

// Authorize follows authURL to the fake, which consents at once, and
// returns the query of its redirect back to redirect.
func Authorize(t testing.TB, authURL, redirect string) url.Values {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), redirect+"?") {
		t.Fatalf("authorize answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query()
}

// Sink keeps what a sync applied, like the real Sink: items by resource,
// removals, the cursor committed with each batch, and after a Reset batch
// the items stored before it and not applied again, which Completed
// deletes.
type Sink struct {
	Mail    map[string]connectors.Mail
	Events  map[string]connectors.Event
	Cursor  []byte
	Batches int
	Resets  int // batches applied with Reset
	FailAt  int // fail the FailAt-th batch (1-based) with ErrSinkDown; 0: never

	staleMail, staleEvents map[string]bool
}

// ErrSinkDown is the failure of the batch Sink.FailAt names.
var ErrSinkDown = errors.New("sink down")

// NewSink returns an empty Sink.
func NewSink() *Sink {
	return &Sink{Mail: map[string]connectors.Mail{}, Events: map[string]connectors.Event{}}
}

// Apply keeps b, or fails if it is the FailAt-th batch.
func (s *Sink) Apply(_ context.Context, b connectors.Batch) error {
	s.Batches++
	if s.FailAt != 0 && s.Batches == s.FailAt {
		return ErrSinkDown
	}
	if b.Reset {
		s.Resets++
		s.staleMail, s.staleEvents = map[string]bool{}, map[string]bool{}
		for r := range s.Mail {
			s.staleMail[r] = true
		}
		for r := range s.Events {
			s.staleEvents[r] = true
		}
	}
	for _, m := range b.Mail {
		s.Mail[m.Resource] = m
		delete(s.staleMail, m.Resource)
	}
	for _, e := range b.Events {
		s.Events[e.Resource] = e
		delete(s.staleEvents, e.Resource)
	}
	for _, r := range b.Removed {
		delete(s.Mail, r)
		delete(s.Events, r)
	}
	s.Cursor = b.Cursor
	return nil
}

// Completed is what the service does when a sync returns nil: after a
// Reset, it deletes the items no batch since has applied again.
func (s *Sink) Completed() {
	for r := range s.staleMail {
		delete(s.Mail, r)
	}
	for r := range s.staleEvents {
		delete(s.Events, r)
	}
	s.staleMail, s.staleEvents = nil, nil
}

// Subjects returns the subjects of the mail kept, sorted.
func (s *Sink) Subjects() []string {
	var out []string
	for _, m := range s.Mail {
		out = append(out, m.Subject)
	}
	slices.Sort(out)
	return out
}

// States is an in-memory oauth.States; the zero value is ready.
type States struct {
	mu sync.Mutex
	m  map[string]store.OAuthState
}

// SaveOAuthState keeps st under its state.
func (s *States) SaveOAuthState(_ context.Context, st store.OAuthState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]store.OAuthState{}
	}
	s.m[st.State] = st
	return nil
}

// TakeOAuthState returns and forgets the state if it is userID's and
// unexpired at now; store.ErrNotFound otherwise.
func (s *States) TakeOAuthState(_ context.Context, userID uuid.UUID, state string, now time.Time) (store.OAuthState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[state]
	if !ok || st.UserID != userID || !st.ExpiresAt.After(now) {
		return store.OAuthState{}, store.ErrNotFound
	}
	delete(s.m, state)
	return st, nil
}
