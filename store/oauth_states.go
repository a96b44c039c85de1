package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// OAuthState is an OAuth authorization request in flight: the random state
// sent to the provider, bound to the user who started it, and the PKCE
// verifier that the code exchange needs.
type OAuthState struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	Kind      string // the connector kind, e.g. "google"
	State     string // the random value round-tripped through the provider
	Verifier  string // the PKCE code verifier
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SaveOAuthState stores a pending authorization request: the state only as
// a keyed hash, the verifier sealed. Expired requests are cleared out.
func (s *Store) SaveOAuthState(ctx context.Context, st OAuthState) error {
	k, err := s.keyFor(ctx, st.UserID)
	if err != nil {
		return fmt.Errorf("save oauth state: %w", err)
	}
	verifier, err := k.seal("oauth_states", "verifier", st.ID, st.Verifier)
	if err != nil {
		return err
	}
	if _, err := s.db.Exec(ctx, `DELETE FROM oauth_states WHERE expires_at < $1`, st.CreatedAt); err != nil {
		return fmt.Errorf("save oauth state: %w", err)
	}
	_, err = s.db.Exec(ctx, `
		INSERT INTO oauth_states (id, state_hash, user_id, kind, verifier_sealed, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		st.ID, s.oauthStateHash(st.State), st.UserID, st.Kind, verifier, st.CreatedAt, st.ExpiresAt)
	if err != nil {
		return fmt.Errorf("save oauth state: %w", err)
	}
	return nil
}

// TakeOAuthState removes and returns the user's pending request with that
// state, so each state is answered once. Another user's state, an unknown
// or used one, or one expired at now gives ErrNotFound; another user's
// state is left in place for its owner.
func (s *Store) TakeOAuthState(ctx context.Context, userID uuid.UUID, state string, now time.Time) (OAuthState, error) {
	st := OAuthState{State: state}
	var verifier []byte
	err := s.db.QueryRow(ctx, `
		DELETE FROM oauth_states WHERE state_hash = $1 AND user_id = $2
		RETURNING id, user_id, kind, verifier_sealed, created_at, expires_at`, s.oauthStateHash(state), userID).Scan(
		&st.ID, &st.UserID, &st.Kind, &verifier, &st.CreatedAt, &st.ExpiresAt)
	if err != nil {
		return OAuthState{}, notFound(err, "take oauth state")
	}
	if !st.ExpiresAt.After(now) {
		return OAuthState{}, fmt.Errorf("take oauth state: expired: %w", ErrNotFound)
	}
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return OAuthState{}, fmt.Errorf("take oauth state: %w", err)
	}
	if st.Verifier, err = k.open("oauth_states", "verifier", st.ID, verifier); err != nil {
		return OAuthState{}, fmt.Errorf("take oauth state: %w", err)
	}
	return st, nil
}

// oauthStateHash is the keyed hash under which a state is found, so the
// table never holds a state that could be replayed.
func (s *Store) oauthStateHash(state string) []byte {
	m := hmac.New(sha256.New, s.keys.LookupKey())
	m.Write([]byte("oauth-state\x00" + state))
	return m.Sum(nil)
}
