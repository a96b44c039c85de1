package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"confidant/store"
)

type addPasskeyPayload struct {
	Name string `json:"name"`
}

// Passkeys lists the user's passkeys.
func (s *Service) Passkeys(ctx context.Context, userID uuid.UUID) ([]store.Passkey, error) {
	return s.store.PasskeysByUser(ctx, userID)
}

// BeginAddPasskey starts registering another passkey for a signed-in user.
// name may be empty: the browser and system are used instead.
func (s *Service) BeginAddPasskey(ctx context.Context, user store.User, name string) (Challenge, error) {
	if name != "" {
		var err error
		if name, err = cleanName(name, ErrBadName); err != nil {
			return Challenge{}, err
		}
	}
	acct, err := s.loadAccount(ctx, user)
	if err != nil {
		return Challenge{}, err
	}
	creation, sd, err := s.wa.BeginRegistration(acct, webauthn.WithExclusions(acct.descriptors()))
	if err != nil {
		return Challenge{}, fmt.Errorf("begin add passkey: %w", err)
	}
	return s.saveCeremony(ctx, kindAddPasskey, &user.ID, sd, addPasskeyPayload{Name: name}, creation)
}

// FinishAddPasskey verifies and stores the new passkey.
func (s *Service) FinishAddPasskey(ctx context.Context, user store.User, ceremonyID uuid.UUID, body []byte, userAgent string) (store.Passkey, error) {
	var p addPasskeyPayload
	c, err := s.takeCeremony(ctx, ceremonyID, kindAddPasskey, &p)
	if err != nil {
		return store.Passkey{}, err
	}
	if c.UserID == nil || *c.UserID != user.ID {
		return store.Passkey{}, ErrCeremonyExpired
	}
	pk, err := s.registerPasskey(ctx, user, c, body, p.Name, userAgent)
	if err != nil {
		return store.Passkey{}, err
	}
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.AddPasskey(ctx, pk); err != nil {
			return err
		}
		return s.event(ctx, tx, user.ID, store.EventPasskeyAdded, userAgent)
	})
	if errors.Is(err, store.ErrConflict) {
		return store.Passkey{}, fmt.Errorf("%w (credential already registered)", ErrPasskeyRejected)
	}
	return pk, err
}

// registerPasskey verifies a registration response for user and returns
// the passkey to store.
func (s *Service) registerPasskey(ctx context.Context, user store.User, c store.Ceremony, body []byte, name, userAgent string) (store.Passkey, error) {
	parsed, err := parseCreation(body)
	if err != nil {
		return store.Passkey{}, err
	}
	acct, err := s.loadAccount(ctx, user)
	if err != nil {
		return store.Passkey{}, err
	}
	cred, err := s.wa.CreateCredential(acct, c.SessionData, parsed)
	if err != nil {
		return store.Passkey{}, rejected(err)
	}
	if name == "" {
		name = DescribeUserAgent(userAgent)
	}
	return store.Passkey{ID: uuid.New(), UserID: user.ID, Name: name, Credential: *cred, CreatedAt: s.now()}, nil
}

// RenamePasskey renames one of the user's passkeys.
func (s *Service) RenamePasskey(ctx context.Context, userID, passkeyID uuid.UUID, name, userAgent string) error {
	name, err := cleanName(name, ErrBadName)
	if err != nil {
		return err
	}
	if err := s.store.RenamePasskey(ctx, userID, passkeyID, name); err != nil {
		return asAuthError(err)
	}
	return s.event(ctx, s.store, userID, store.EventPasskeyRenamed, userAgent)
}

// RemovePasskey removes one of the user's passkeys, never the last.
func (s *Service) RemovePasskey(ctx context.Context, userID, passkeyID uuid.UUID, userAgent string) error {
	if err := s.store.DeletePasskey(ctx, userID, passkeyID); err != nil {
		return asAuthError(err)
	}
	return s.event(ctx, s.store, userID, store.EventPasskeyRemoved, userAgent)
}
