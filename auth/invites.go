package auth

import (
	"context"

	"github.com/google/uuid"

	"confidant/store"
)

// CreateInvite makes a single-use sign-up link token; only the owner may.
func (s *Service) CreateInvite(ctx context.Context, user store.User, userAgent string) (string, error) {
	if !user.IsOwner {
		return "", ErrNotOwner
	}
	token := newToken()
	now := s.now()
	inv := store.Invite{ID: uuid.New(), TokenHash: HashToken(token), CreatedBy: user.ID, CreatedAt: now, ExpiresAt: now.Add(InviteTTL)}
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.CreateInvite(ctx, inv); err != nil {
			return err
		}
		return s.event(ctx, tx, user.ID, store.EventInviteCreated, userAgent)
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// Invites lists the invites the user created.
func (s *Service) Invites(ctx context.Context, userID uuid.UUID) ([]store.Invite, error) {
	return s.store.InvitesBy(ctx, userID)
}
