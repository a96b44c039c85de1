package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/store"
)

func TestOAuthStates(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	now := time.Now().UTC().Truncate(time.Microsecond)
	save := func(user uuid.UUID, state string, created time.Time) {
		t.Helper()
		if err := s.SaveOAuthState(ctx, store.OAuthState{ID: uuid.New(), UserID: user, Kind: "google", State: state,
			Verifier: "verifier-of-" + state, CreatedAt: created, ExpiresAt: created.Add(10 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	save(alice.ID, "state-a", now)
	save(alice.ID, "state-old", now.Add(-time.Hour))

	tests := []struct {
		name    string
		user    uuid.UUID
		state   string
		at      time.Time
		wantErr error
	}{
		{"another user's state", bob.ID, "state-a", now, store.ErrNotFound},
		{"unknown state", alice.ID, "state-x", now, store.ErrNotFound},
		{"expired state", alice.ID, "state-old", now, store.ErrNotFound},
		{"own state, left in place by bob's try", alice.ID, "state-a", now.Add(time.Minute), nil},
		{"used state", alice.ID, "state-a", now.Add(time.Minute), store.ErrNotFound},
	}
	for _, tt := range tests {
		st, err := s.TakeOAuthState(ctx, tt.user, tt.state, tt.at)
		if !errors.Is(err, tt.wantErr) {
			t.Fatalf("%s: err %v, want %v", tt.name, err, tt.wantErr)
		}
		if tt.wantErr == nil && (st.Verifier != "verifier-of-state-a" || st.Kind != "google" || st.UserID != alice.ID || !st.ExpiresAt.Equal(now.Add(10*time.Minute))) {
			t.Errorf("%s: got %+v", tt.name, st)
		}
	}

	// Saving clears out requests that expired before it.
	save(bob.ID, "state-b", now)
	save(alice.ID, "state-c", now.Add(30*time.Minute))
	if _, err := s.TakeOAuthState(ctx, bob.ID, "state-b", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an expired request survived a later save: %v", err)
	}
}
