package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"confidant/store"
)

type recoveryPayload struct {
	CodeID uuid.UUID `json:"code_id"`
}

// BeginRecovery checks a username and unused recovery code and starts
// registering a new passkey for that account. The code is spent only when
// the new passkey is stored.
func (s *Service) BeginRecovery(ctx context.Context, username, code string) (Challenge, error) {
	name, err := NormalizeUsername(username)
	if err != nil {
		return Challenge{}, ErrRecoveryFailed
	}
	user, err := s.store.UserByUsername(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return Challenge{}, ErrRecoveryFailed
	}
	if err != nil {
		return Challenge{}, err
	}
	codeID, err := s.store.UnusedRecoveryCode(ctx, user.ID, hashRecoveryCode(code))
	if errors.Is(err, store.ErrNotFound) {
		return Challenge{}, ErrRecoveryFailed
	}
	if err != nil {
		return Challenge{}, err
	}
	acct, err := s.loadAccount(ctx, user)
	if err != nil {
		return Challenge{}, err
	}
	creation, sd, err := s.wa.BeginRegistration(acct, webauthn.WithExclusions(acct.descriptors()))
	if err != nil {
		return Challenge{}, fmt.Errorf("begin recovery: %w", err)
	}
	return s.saveCeremony(ctx, kindRecovery, &user.ID, sd, recoveryPayload{CodeID: codeID}, creation)
}

// FinishRecovery stores the new passkey, spends the recovery code and
// signs the person in. The code's use appears in their security activity.
func (s *Service) FinishRecovery(ctx context.Context, ceremonyID uuid.UUID, body []byte, userAgent string) (SignedIn, error) {
	var p recoveryPayload
	c, err := s.takeCeremony(ctx, ceremonyID, kindRecovery, &p)
	if err != nil {
		return SignedIn{}, err
	}
	user, err := s.store.UserByID(ctx, *c.UserID)
	if err != nil {
		return SignedIn{}, asAuthError(err)
	}
	pk, err := s.registerPasskey(ctx, user, c, body, "", userAgent)
	if err != nil {
		return SignedIn{}, err
	}
	var out SignedIn
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.UseRecoveryCode(ctx, user.ID, p.CodeID, s.now()); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return ErrRecoveryFailed
			}
			return err
		}
		if err := tx.AddPasskey(ctx, pk); err != nil {
			return err
		}
		for _, kind := range []string{store.EventRecoveryCodeUsed, store.EventPasskeyAdded, store.EventSignIn} {
			if err := s.event(ctx, tx, user.ID, kind, userAgent); err != nil {
				return err
			}
		}
		out, err = s.startSession(ctx, tx, user, userAgent)
		return err
	})
	if err != nil {
		return SignedIn{}, fmt.Errorf("finish recovery: %w", err)
	}
	return out, nil
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (s *Service) RecoveryCodesLeft(ctx context.Context, userID uuid.UUID) (int, error) {
	return s.store.RecoveryCodesLeft(ctx, userID)
}
