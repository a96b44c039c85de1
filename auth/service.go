// Package auth runs passkey accounts: WebAuthn ceremonies for sign-up,
// sign-in, adding passkeys, recovery and step-up confirmation, and the
// server-side sessions that follow a successful sign-in.
package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"confidant/store"
)

// Lifetimes of what auth hands out.
const (
	SessionTTL      = 30 * 24 * time.Hour
	CeremonyTTL     = 5 * time.Minute
	InviteTTL       = 7 * 24 * time.Hour
	sessionTouchGap = time.Minute
)

// Error is a failure the person can act on; Message is safe to show them.
type Error struct {
	Code    string // machine-readable, e.g. "username_taken"
	Message string
	Status  int // HTTP status that fits
}

func (e *Error) Error() string { return e.Message }

// Failures callers tell apart with errors.Is.
var (
	ErrUsernameTaken   = &Error{"username_taken", "That username is taken. Try another one.", 409}
	ErrBadUsername     = &Error{"invalid_username", "A username has 3 to 32 characters: letters, digits, dot, dash or underscore, starting with a letter or digit.", 400}
	ErrBadDisplayName  = &Error{"invalid_display_name", "A display name has 1 to 64 characters.", 400}
	ErrInviteRequired  = &Error{"invite_required", "Sign-up here is by invitation. Ask the owner of this Confidant for an invite link.", 403}
	ErrInviteInvalid   = &Error{"invite_invalid", "This invite link has expired or was already used. Ask for a new one.", 403}
	ErrCeremonyExpired = &Error{"ceremony_expired", "That request expired or was already used. Please try again.", 400}
	ErrPasskeyRejected = &Error{"passkey_rejected", "Your passkey could not be verified. Please try again.", 400}
	ErrUnknownPasskey  = &Error{"unknown_passkey", "This passkey is not registered here. It may belong to a deleted account or another site.", 401}
	ErrUnknownUser     = &Error{"unknown_user", "No account has that username.", 404}
	ErrRecoveryFailed  = &Error{"recovery_failed", "That username and recovery code do not match an unused code.", 401}
	ErrLastPasskey     = &Error{"last_passkey", "You cannot remove your only passkey. Add another one first.", 409}
	ErrNotFound        = &Error{"not_found", "That item does not exist or is not yours.", 404}
	ErrBadName         = &Error{"invalid_name", "A passkey name has 1 to 64 characters.", 400}
	ErrNotOwner        = &Error{"forbidden", "Only the owner of this Confidant can do that.", 403}
)

// Options configures a Service.
type Options struct {
	RPID         string
	Origin       string
	InviteOnly   bool
	Now          func() time.Time
	Log          *slog.Logger
	RPName       string
	CeremonyTTL  time.Duration
	SessionTTL   time.Duration
	ExtraOrigins []string
	// APIKeyCacheTTL is how long an API key lookup is reused (default
	// APIKeyCacheTTL; negative turns the cache off).
	APIKeyCacheTTL time.Duration
}

// Service performs account operations on a store.
type Service struct {
	store      *store.Store
	wa         *webauthn.WebAuthn
	inviteOnly bool
	now        func() time.Time
	log        *slog.Logger
	ceremony   time.Duration
	session    time.Duration
	apiKeys    *apiKeyCache
}

// New builds a Service.
func New(st *store.Store, opt Options) (*Service, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.RPName == "" {
		opt.RPName = "Confidant"
	}
	if opt.CeremonyTTL == 0 {
		opt.CeremonyTTL = CeremonyTTL
	}
	if opt.SessionTTL == 0 {
		opt.SessionTTL = SessionTTL
	}
	if opt.APIKeyCacheTTL == 0 {
		opt.APIKeyCacheTTL = APIKeyCacheTTL
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          opt.RPID,
		RPDisplayName: opt.RPName,
		RPOrigins:     append([]string{opt.Origin}, opt.ExtraOrigins...),
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementRequired,
			UserVerification: protocol.VerificationRequired,
		},
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: opt.CeremonyTTL, TimeoutUVD: opt.CeremonyTTL},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: opt.CeremonyTTL, TimeoutUVD: opt.CeremonyTTL},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("auth: webauthn config: %w", err)
	}
	return &Service{store: st, wa: wa, inviteOnly: opt.InviteOnly, now: opt.Now, log: opt.Log,
		ceremony: opt.CeremonyTTL, session: opt.SessionTTL, apiKeys: newAPIKeyCache(opt.APIKeyCacheTTL, 10_000)}, nil
}

// InviteOnly reports whether new accounts need an invite (after the first).
func (s *Service) InviteOnly() bool { return s.inviteOnly }

// asAuthError maps store sentinels to person-facing errors.
func asAuthError(err error) error {
	switch {
	case errors.Is(err, store.ErrLastPasskey):
		return ErrLastPasskey
	case errors.Is(err, store.ErrNotFound):
		return ErrNotFound
	}
	return err
}
