package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Invite is a single-use link that lets one person sign up when
// registration is invite-only. Only a hash of its token is stored.
type Invite struct {
	ID        uuid.UUID
	TokenHash []byte
	CreatedBy uuid.UUID
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// CreateInvite stores a new invite.
func (s *Store) CreateInvite(ctx context.Context, inv Invite) error {
	_, err := s.db.Exec(ctx,
		`INSERT INTO invites (id, token_hash, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		inv.ID, inv.TokenHash, inv.CreatedBy, inv.CreatedAt, inv.ExpiresAt)
	if err != nil {
		return fmt.Errorf("create invite: %w", err)
	}
	return nil
}

// InvitesBy lists the invites a user created, newest first.
func (s *Store) InvitesBy(ctx context.Context, userID uuid.UUID) ([]Invite, error) {
	rows, err := s.db.Query(ctx, `
		SELECT id, token_hash, created_by, created_at, expires_at, used_at FROM invites
		WHERE created_by = $1 ORDER BY created_at DESC, id LIMIT 100`, userID)
	if err != nil {
		return nil, fmt.Errorf("invites by user: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Invite, error) {
		var inv Invite
		err := row.Scan(&inv.ID, &inv.TokenHash, &inv.CreatedBy, &inv.CreatedAt, &inv.ExpiresAt, &inv.UsedAt)
		return inv, err
	})
	if err != nil {
		return nil, fmt.Errorf("invites by user: %w", err)
	}
	return list, nil
}

// ValidInvite returns the unused, unexpired invite with that token hash.
func (s *Store) ValidInvite(ctx context.Context, hash []byte, now time.Time) (Invite, error) {
	var inv Invite
	err := s.db.QueryRow(ctx, `
		SELECT id, token_hash, created_by, created_at, expires_at, used_at FROM invites
		WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2`, hash, now).Scan(
		&inv.ID, &inv.TokenHash, &inv.CreatedBy, &inv.CreatedAt, &inv.ExpiresAt, &inv.UsedAt)
	if err != nil {
		return Invite{}, notFound(err, "invite")
	}
	return inv, nil
}

// UseInvite marks an invite used by a new user; an invite already used or
// expired gives ErrNotFound.
func (s *Store) UseInvite(ctx context.Context, id, usedBy uuid.UUID, now time.Time) error {
	tag, err := s.db.Exec(ctx,
		`UPDATE invites SET used_at = $3, used_by = $2 WHERE id = $1 AND used_at IS NULL AND expires_at > $3`, id, usedBy, now)
	if err != nil {
		return fmt.Errorf("use invite: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("use invite: %w", ErrNotFound)
	}
	return nil
}
