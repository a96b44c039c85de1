package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"confidant/store"
)

// Ceremony kinds, each finished only by its own endpoint.
const (
	kindSignup     = "signup"
	kindLogin      = "login"
	kindAddPasskey = "add_passkey"
	kindRecovery   = "recovery"
	kindStepUp     = "stepup"
)

// Challenge is what a browser needs to run a ceremony: an id to send back
// with the result, and the options for navigator.credentials.
type Challenge struct {
	ID      uuid.UUID `json:"ceremony"`
	Options any       `json:"options"`
}

// saveCeremony stores the session data of a ceremony just begun.
func (s *Service) saveCeremony(ctx context.Context, kind string, userID *uuid.UUID, sd *webauthn.SessionData, payload any, options any) (Challenge, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return Challenge{}, fmt.Errorf("encode ceremony payload: %w", err)
	}
	c := store.Ceremony{ID: uuid.New(), Kind: kind, UserID: userID, SessionData: *sd, Payload: raw, ExpiresAt: s.now().Add(s.ceremony)}
	if err := s.store.SaveCeremony(ctx, c); err != nil {
		return Challenge{}, err
	}
	return Challenge{ID: c.ID, Options: options}, nil
}

// takeCeremony consumes a pending ceremony and decodes its payload.
func (s *Service) takeCeremony(ctx context.Context, id uuid.UUID, kind string, payload any) (store.Ceremony, error) {
	c, err := s.store.TakeCeremony(ctx, id, kind, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return store.Ceremony{}, ErrCeremonyExpired
	}
	if err != nil {
		return store.Ceremony{}, err
	}
	if payload != nil {
		if err := json.Unmarshal(c.Payload, payload); err != nil {
			return store.Ceremony{}, fmt.Errorf("decode ceremony payload: %w", err)
		}
	}
	return c, nil
}

// parseCreation parses a browser's registration response; anything
// malformed is the person's ErrPasskeyRejected, never a server error.
func parseCreation(body []byte) (*protocol.ParsedCredentialCreationData, error) {
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", ErrPasskeyRejected, describeProtocolError(err))
	}
	return parsed, nil
}

// parseAssertion parses a browser's assertion response.
func parseAssertion(body []byte) (*protocol.ParsedCredentialAssertionData, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", ErrPasskeyRejected, describeProtocolError(err))
	}
	return parsed, nil
}

// rejected wraps a verification failure so the person sees
// ErrPasskeyRejected and the log sees the protocol's reason.
func rejected(err error) error {
	var authErr *Error
	if errors.As(err, &authErr) {
		return err
	}
	return fmt.Errorf("%w (%s)", ErrPasskeyRejected, describeProtocolError(err))
}

// describeProtocolError gives the go-webauthn error type and detail, which
// name the failed check but carry no secrets.
func describeProtocolError(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Type + ": " + pe.Details
	}
	return err.Error()
}

// errorsAsAuth extracts the person-facing error from a wrapped chain.
func errorsAsAuth(err error) (*Error, bool) {
	var authErr *Error
	ok := errors.As(err, &authErr)
	return authErr, ok
}
