package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Session is a signed-in browser. Only a hash of its token is stored.
type Session struct {
	ID         uuid.UUID
	UserID     uuid.UUID
	TokenHash  []byte
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

const sessionColumns = `id, user_id, token_hash, user_agent, created_at, last_seen_at, expires_at`

func scanSession(row pgx.CollectableRow) (Session, error) {
	var s Session
	err := row.Scan(&s.ID, &s.UserID, &s.TokenHash, &s.UserAgent, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt)
	return s, err
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, sess Session) error {
	_, err := s.db.Exec(ctx, `
		INSERT INTO sessions (id, user_id, token_hash, user_agent, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $5, $6)`,
		sess.ID, sess.UserID, sess.TokenHash, sess.UserAgent, sess.CreatedAt, sess.ExpiresAt)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionByTokenHash returns the unexpired session with that token hash and
// its user, and marks it seen when the last mark is older than touchAfter.
func (s *Store) SessionByTokenHash(ctx context.Context, hash []byte, now time.Time, touchAfter time.Duration) (Session, User, error) {
	var sess Session
	var u User
	err := s.db.QueryRow(ctx, `
		SELECT s.id, s.user_id, s.token_hash, s.user_agent, s.created_at, s.last_seen_at, s.expires_at,
		       u.id, u.username, u.display_name, u.is_owner, u.created_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > $2`, hash, now).Scan(
		&sess.ID, &sess.UserID, &sess.TokenHash, &sess.UserAgent, &sess.CreatedAt, &sess.LastSeenAt, &sess.ExpiresAt,
		&u.ID, &u.Username, &u.DisplayName, &u.IsOwner, &u.CreatedAt)
	if err != nil {
		return Session{}, User{}, notFound(err, "session by token")
	}
	if now.Sub(sess.LastSeenAt) > touchAfter {
		if _, err := s.db.Exec(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id = $1`, sess.ID, now); err != nil {
			return Session{}, User{}, fmt.Errorf("touch session: %w", err)
		}
		sess.LastSeenAt = now
	}
	return sess, u, nil
}

// SessionsByUser lists a user's unexpired sessions, most recently seen first.
func (s *Store) SessionsByUser(ctx context.Context, userID uuid.UUID, now time.Time) ([]Session, error) {
	rows, err := s.db.Query(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC, id`, userID, now)
	if err != nil {
		return nil, fmt.Errorf("sessions by user: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanSession)
	if err != nil {
		return nil, fmt.Errorf("sessions by user: %w", err)
	}
	return list, nil
}

// DeleteSession revokes one of the user's sessions.
func (s *Store) DeleteSession(ctx context.Context, userID, id uuid.UUID) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE id = $2 AND user_id = $1`, userID, id)
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete session: %w", ErrNotFound)
	}
	return nil
}

// DeleteOtherSessions revokes every session of the user except keep, and
// returns how many it revoked.
func (s *Store) DeleteOtherSessions(ctx context.Context, userID, keep uuid.UUID) (int64, error) {
	tag, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, keep)
	if err != nil {
		return 0, fmt.Errorf("delete other sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}

// DeleteExpiredSessions removes sessions past their expiry.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, now); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	return nil
}
