package auth

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"confidant/store"
)

// Step-up actions: each needs a fresh passkey assertion made for it.
const (
	ActionDeleteAccount = "delete_account"
	ActionRecoveryCodes = "recovery_codes"
	ActionTransferOut   = "transfer_out" // send a copy of the account to another fork
)

type stepUpPayload struct {
	Action string          `json:"action"`
	Extra  json.RawMessage `json:"extra,omitempty"`
}

// BeginStepUp asks the signed-in user to confirm action with one of their
// passkeys.
func (s *Service) BeginStepUp(ctx context.Context, user store.User, action string) (Challenge, error) {
	return s.BeginStepUpWith(ctx, user, action, nil)
}

// BeginStepUpWith is BeginStepUp that keeps extra (the details of what is
// being confirmed, sealed with the ceremony) for FinishStepUp to return.
func (s *Service) BeginStepUpWith(ctx context.Context, user store.User, action string, extra any) (Challenge, error) {
	raw, err := json.Marshal(extra)
	if err != nil {
		return Challenge{}, fmt.Errorf("begin step-up: %w", err)
	}
	acct, err := s.loadAccount(ctx, user)
	if err != nil {
		return Challenge{}, err
	}
	assertion, sd, err := s.wa.BeginLogin(acct)
	if err != nil {
		return Challenge{}, fmt.Errorf("begin step-up: %w", err)
	}
	return s.saveCeremony(ctx, kindStepUp, &user.ID, sd, stepUpPayload{Action: action, Extra: raw}, assertion)
}

// FinishStepUp verifies that the signed-in user confirmed action with one
// of their own passkeys just now.
func (s *Service) FinishStepUp(ctx context.Context, user store.User, ceremonyID uuid.UUID, action string, body []byte) error {
	_, err := s.FinishStepUpWith(ctx, user, ceremonyID, action, body)
	return err
}

// FinishStepUpWith is FinishStepUp that returns the extra details given to
// BeginStepUpWith.
func (s *Service) FinishStepUpWith(ctx context.Context, user store.User, ceremonyID uuid.UUID, action string, body []byte) (json.RawMessage, error) {
	var p stepUpPayload
	c, err := s.takeCeremony(ctx, ceremonyID, kindStepUp, &p)
	if err != nil {
		return nil, err
	}
	if c.UserID == nil || *c.UserID != user.ID || p.Action != action {
		return nil, ErrCeremonyExpired
	}
	parsed, err := parseAssertion(body)
	if err != nil {
		return nil, err
	}
	_, pk, err := s.verifyAssertion(ctx, c, parsed)
	if err != nil {
		return nil, err
	}
	return p.Extra, s.store.RecordPasskeyUse(ctx, pk.ID, pk.Credential, s.now())
}

// RegenerateRecoveryCodes replaces the user's recovery codes; call it only
// after FinishStepUp for ActionRecoveryCodes.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, userID uuid.UUID, userAgent string) ([]string, error) {
	codes, hashes := newRecoveryCodes()
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.ReplaceRecoveryCodes(ctx, userID, hashes, s.now()); err != nil {
			return err
		}
		return s.event(ctx, tx, userID, store.EventRecoveryCodesReset, userAgent)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// DeleteAccount removes the user and everything they own; call it only
// after FinishStepUp for ActionDeleteAccount.
func (s *Service) DeleteAccount(ctx context.Context, userID uuid.UUID) error {
	err := s.store.DeleteUser(ctx, userID)
	s.apiKeys.dropUser(userID)
	return err
}
