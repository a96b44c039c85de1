package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"confidant/store"
)

// loadAccount returns a user and their passkeys.
func (s *Service) loadAccount(ctx context.Context, user store.User) (*account, error) {
	keys, err := s.store.PasskeysByUser(ctx, user.ID)
	if err != nil {
		return nil, err
	}
	return &account{user: user, passkeys: keys}, nil
}

// BeginLogin starts a sign-in. With an empty username the browser offers
// any passkey it holds for this site (discoverable credentials); with one,
// only that account's passkeys are allowed.
func (s *Service) BeginLogin(ctx context.Context, username string) (Challenge, error) {
	if username == "" {
		assertion, sd, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
		if err != nil {
			return Challenge{}, fmt.Errorf("begin login: %w", err)
		}
		return s.saveCeremony(ctx, kindLogin, nil, sd, struct{}{}, assertion)
	}
	name, err := NormalizeUsername(username)
	if err != nil {
		return Challenge{}, ErrUnknownUser
	}
	user, err := s.store.UserByUsername(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return Challenge{}, ErrUnknownUser
	}
	if err != nil {
		return Challenge{}, err
	}
	acct, err := s.loadAccount(ctx, user)
	if err != nil {
		return Challenge{}, err
	}
	assertion, sd, err := s.wa.BeginLogin(acct, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return Challenge{}, fmt.Errorf("begin login: %w", err)
	}
	return s.saveCeremony(ctx, kindLogin, &user.ID, sd, struct{}{}, assertion)
}

// FinishLogin verifies an assertion and starts a session.
func (s *Service) FinishLogin(ctx context.Context, ceremonyID uuid.UUID, body []byte, userAgent string) (SignedIn, error) {
	c, err := s.takeCeremony(ctx, ceremonyID, kindLogin, nil)
	if err != nil {
		return SignedIn{}, err
	}
	parsed, err := parseAssertion(body)
	if err != nil {
		return SignedIn{}, err
	}
	acct, pk, err := s.verifyAssertion(ctx, c, parsed)
	if err != nil {
		return SignedIn{}, err
	}
	var out SignedIn
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.RecordPasskeyUse(ctx, pk.ID, pk.Credential, s.now()); err != nil {
			return err
		}
		if err := s.event(ctx, tx, acct.user.ID, store.EventSignIn, userAgent); err != nil {
			return err
		}
		out, err = s.startSession(ctx, tx, acct.user, userAgent)
		return err
	})
	if err != nil {
		return SignedIn{}, fmt.Errorf("finish login: %w", err)
	}
	return out, nil
}

// verifyAssertion checks an assertion against the ceremony: for the
// ceremony's user when it names one, else for whoever the user handle names.
// It returns the passkey with its updated counter and flags.
func (s *Service) verifyAssertion(ctx context.Context, c store.Ceremony, parsed *protocol.ParsedCredentialAssertionData) (*account, store.Passkey, error) {
	var acct *account
	var cred *webauthn.Credential
	if c.UserID != nil {
		user, err := s.store.UserByID(ctx, *c.UserID)
		if err != nil {
			return nil, store.Passkey{}, asAuthError(err)
		}
		if acct, err = s.loadAccount(ctx, user); err != nil {
			return nil, store.Passkey{}, err
		}
		if _, ok := acct.passkeyByCredentialID(parsed.RawID); !ok {
			return nil, store.Passkey{}, ErrUnknownPasskey
		}
		if cred, err = s.wa.ValidateLogin(acct, c.SessionData, parsed); err != nil {
			return nil, store.Passkey{}, rejected(err)
		}
	} else {
		handler := func(rawID, userHandle []byte) (webauthn.User, error) {
			id, ok := userIDFromHandle(userHandle)
			if !ok {
				return nil, ErrUnknownPasskey
			}
			user, err := s.store.UserByID(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				return nil, ErrUnknownPasskey
			}
			if err != nil {
				return nil, err
			}
			a, err := s.loadAccount(ctx, user)
			if err != nil {
				return nil, err
			}
			if _, ok := a.passkeyByCredentialID(rawID); !ok {
				return nil, ErrUnknownPasskey
			}
			acct = a
			return a, nil
		}
		var err error
		if _, cred, err = s.wa.ValidatePasskeyLogin(handler, c.SessionData, parsed); err != nil {
			if acct == nil {
				if authErr, ok := errorsAsAuth(err); ok {
					return nil, store.Passkey{}, authErr
				}
				return nil, store.Passkey{}, ErrUnknownPasskey
			}
			return nil, store.Passkey{}, rejected(err)
		}
	}
	if cred.Authenticator.CloneWarning {
		return nil, store.Passkey{}, fmt.Errorf("%w (signature counter went backwards: possible cloned authenticator)", ErrPasskeyRejected)
	}
	pk, ok := acct.passkeyByCredentialID(cred.ID)
	if !ok || !bytes.Equal(pk.Credential.ID, parsed.RawID) {
		return nil, store.Passkey{}, ErrUnknownPasskey
	}
	pk.Credential = *cred
	pk.Credential.Flags.BackupState = parsed.Response.AuthenticatorData.Flags.HasBackupState()
	return acct, pk, nil
}
