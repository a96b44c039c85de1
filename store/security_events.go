package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// SecurityEvent kinds shown to the user in their activity list.
const (
	EventSignUp             = "sign_up"
	EventSignIn             = "sign_in"
	EventSignOut            = "sign_out"
	EventPasskeyAdded       = "passkey_added"
	EventPasskeyRenamed     = "passkey_renamed"
	EventPasskeyRemoved     = "passkey_removed"
	EventSessionRevoked     = "session_revoked"
	EventSessionsRevoked    = "other_sessions_revoked"
	EventRecoveryCodeUsed   = "recovery_code_used"
	EventRecoveryCodesReset = "recovery_codes_regenerated"
	EventInviteCreated      = "invite_created"
)

// SecurityEvent is one entry in a user's security activity. Ids are UUIDv7
// and sort by time.
type SecurityEvent struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	Kind      string
	UserAgent string
	CreatedAt time.Time
}

// AddSecurityEvent records an event for the user.
func (s *Store) AddSecurityEvent(ctx context.Context, e SecurityEvent) error {
	id, err := uuid.NewV7()
	if err != nil {
		return fmt.Errorf("add security event: %w", err)
	}
	k, err := s.keyFor(ctx, e.UserID)
	if err != nil {
		return fmt.Errorf("add security event: %w", err)
	}
	ua, err := k.seal("security_events", "user_agent", id, e.UserAgent)
	if err != nil {
		return err
	}
	_, err = s.db.Exec(ctx,
		`INSERT INTO security_events (id, user_id, kind, user_agent_sealed, created_at) VALUES ($1, $2, $3, $4, $5)`,
		id, e.UserID, e.Kind, ua, e.CreatedAt)
	if err != nil {
		return fmt.Errorf("add security event: %w", err)
	}
	return nil
}

// SecurityEvents lists the user's events newest first, starting below the
// id before (uuid.Nil for the newest), at most limit of them.
func (s *Store) SecurityEvents(ctx context.Context, userID, before uuid.UUID, limit int) ([]SecurityEvent, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("security events: %w", err)
	}
	if before == uuid.Nil {
		before = uuid.Max
	}
	rows, err := s.db.Query(ctx, `
		SELECT id, user_id, kind, user_agent_sealed, created_at FROM security_events
		WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, userID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("security events: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (SecurityEvent, error) {
		var e SecurityEvent
		var ua []byte
		if err := row.Scan(&e.ID, &e.UserID, &e.Kind, &ua, &e.CreatedAt); err != nil {
			return SecurityEvent{}, err
		}
		e.UserAgent, err = k.open("security_events", "user_agent", e.ID, ua)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("security events: %w", err)
	}
	return list, nil
}
