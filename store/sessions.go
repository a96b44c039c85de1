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

const sessionColumns = `s.id, s.user_id, s.token_hash, s.user_agent_sealed, s.created_at, s.last_seen_at, s.expires_at`

// scanSession reads a session row; its user agent stays sealed in ua.
func scanSession(row pgx.Row, ua *[]byte) (Session, error) {
	var s Session
	err := row.Scan(&s.ID, &s.UserID, &s.TokenHash, ua, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt)
	return s, err
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, sess Session) error {
	k, err := s.keyFor(ctx, sess.UserID)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	ua, err := k.seal("sessions", "user_agent", sess.ID, sess.UserAgent)
	if err != nil {
		return err
	}
	_, err = s.db.Exec(ctx, `
		INSERT INTO sessions (id, user_id, token_hash, user_agent_sealed, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $5, $6)`,
		sess.ID, sess.UserID, sess.TokenHash, ua, sess.CreatedAt, sess.ExpiresAt)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionByTokenHash returns the unexpired session with that token hash and
// its user, and marks it seen when the last mark is older than touchAfter.
func (s *Store) SessionByTokenHash(ctx context.Context, hash []byte, now time.Time, touchAfter time.Duration) (Session, User, error) {
	var ur userRow
	var uaSealed []byte
	var sess Session
	err := s.db.QueryRow(ctx, `
		SELECT `+sessionColumns+`, `+userColumns+`
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > $2`, hash, now).Scan(
		append([]any{&sess.ID, &sess.UserID, &sess.TokenHash, &uaSealed, &sess.CreatedAt, &sess.LastSeenAt, &sess.ExpiresAt}, ur.scanTargets()...)...)
	if err != nil {
		return Session{}, User{}, notFound(err, "session by token")
	}
	u, k, err := s.openUser(ctx, ur)
	if err != nil {
		return Session{}, User{}, fmt.Errorf("session by token: %w", err)
	}
	if sess.UserAgent, err = k.open("sessions", "user_agent", sess.ID, uaSealed); err != nil {
		return Session{}, User{}, err
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
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("sessions by user: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE s.user_id = $1 AND s.expires_at > $2 ORDER BY s.last_seen_at DESC, s.id`, userID, now)
	if err != nil {
		return nil, fmt.Errorf("sessions by user: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Session, error) {
		var ua []byte
		sess, err := scanSession(row, &ua)
		if err != nil {
			return Session{}, err
		}
		sess.UserAgent, err = k.open("sessions", "user_agent", sess.ID, ua)
		return sess, err
	})
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
