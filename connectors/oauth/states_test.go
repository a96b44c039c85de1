package oauth_test

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"confidant/store"
)

func newID() uuid.UUID { return uuid.New() }

// memStates is an in-memory oauth.States for tests that are not about
// storing the state.
type memStates struct {
	mu sync.Mutex
	m  map[string]store.OAuthState
}

func (s *memStates) SaveOAuthState(_ context.Context, st store.OAuthState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]store.OAuthState{}
	}
	s.m[st.State] = st
	return nil
}

func (s *memStates) TakeOAuthState(_ context.Context, userID uuid.UUID, state string, now time.Time) (store.OAuthState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[state]
	if !ok || st.UserID != userID || !st.ExpiresAt.After(now) {
		return store.OAuthState{}, store.ErrNotFound
	}
	delete(s.m, state)
	return st, nil
}
