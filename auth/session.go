package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"confidant/store"
)

// SignedIn is the outcome of a ceremony that signs a person in.
type SignedIn struct {
	Token         string // the session cookie value; shown to nobody else
	Session       store.Session
	User          store.User
	RecoveryCodes []string // only at sign-up: shown once
}

// ErrNoSession means the token does not name a live session.
var ErrNoSession = errors.New("auth: no session")

// startSession creates a session for the user within st (possibly a tx).
func (s *Service) startSession(ctx context.Context, st *store.Store, user store.User, userAgent string) (SignedIn, error) {
	token := newToken()
	now := s.now()
	sess := store.Session{ID: uuid.New(), UserID: user.ID, TokenHash: HashToken(token), UserAgent: truncate(userAgent, 512),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.session)}
	if err := st.CreateSession(ctx, sess); err != nil {
		return SignedIn{}, err
	}
	return SignedIn{Token: token, Session: sess, User: user}, nil
}

// Authenticate returns the session and user a cookie token names.
func (s *Service) Authenticate(ctx context.Context, token string) (store.Session, store.User, error) {
	if token == "" {
		return store.Session{}, store.User{}, ErrNoSession
	}
	sess, user, err := s.store.SessionByTokenHash(ctx, HashToken(token), s.now(), sessionTouchGap)
	if errors.Is(err, store.ErrNotFound) {
		return store.Session{}, store.User{}, ErrNoSession
	}
	if err != nil {
		return store.Session{}, store.User{}, fmt.Errorf("authenticate: %w", err)
	}
	return sess, user, nil
}

// Logout ends the current session.
func (s *Service) Logout(ctx context.Context, sess store.Session, userAgent string) error {
	if err := s.store.DeleteSession(ctx, sess.UserID, sess.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return s.event(ctx, s.store, sess.UserID, store.EventSignOut, userAgent)
}

// Sessions lists the user's live sessions.
func (s *Service) Sessions(ctx context.Context, userID uuid.UUID) ([]store.Session, error) {
	return s.store.SessionsByUser(ctx, userID, s.now())
}

// RevokeSession ends one of the user's sessions.
func (s *Service) RevokeSession(ctx context.Context, userID, sessionID uuid.UUID, userAgent string) error {
	if err := s.store.DeleteSession(ctx, userID, sessionID); err != nil {
		return asAuthError(err)
	}
	return s.event(ctx, s.store, userID, store.EventSessionRevoked, userAgent)
}

// RevokeOtherSessions ends every session of the user but the current one.
func (s *Service) RevokeOtherSessions(ctx context.Context, current store.Session, userAgent string) (int64, error) {
	n, err := s.store.DeleteOtherSessions(ctx, current.UserID, current.ID)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		err = s.event(ctx, s.store, current.UserID, store.EventSessionsRevoked, userAgent)
	}
	return n, err
}

// SecurityEvents lists the user's security activity, newest first.
func (s *Service) SecurityEvents(ctx context.Context, userID, before uuid.UUID, limit int) ([]store.SecurityEvent, error) {
	return s.store.SecurityEvents(ctx, userID, before, limit)
}

// event records a security event in st (possibly a tx).
func (s *Service) event(ctx context.Context, st *store.Store, userID uuid.UUID, kind, userAgent string) error {
	return st.AddSecurityEvent(ctx, store.SecurityEvent{UserID: userID, Kind: kind, UserAgent: truncate(userAgent, 512), CreatedAt: s.now()})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
