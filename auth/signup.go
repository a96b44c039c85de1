package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"confidant/store"
)

// SignupRequest is what a person fills in to create an account.
type SignupRequest struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Invite      string `json:"invite"`
}

type signupPayload struct {
	UserID      uuid.UUID  `json:"user_id"`
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	InviteID    *uuid.UUID `json:"invite_id,omitempty"`
}

// SignupAllowed reports whether a new account may be created with the given
// invite token ("" for none), returning the invite when one is used.
func (s *Service) SignupAllowed(ctx context.Context, invite string) (*store.Invite, error) {
	if !s.inviteOnly {
		return nil, nil
	}
	hasUsers, err := s.store.HasUsers(ctx)
	if err != nil {
		return nil, err
	}
	if !hasUsers {
		return nil, nil // the first account becomes the owner
	}
	if invite == "" {
		return nil, ErrInviteRequired
	}
	inv, err := s.store.ValidInvite(ctx, HashToken(invite), s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrInviteInvalid
	}
	if err != nil {
		return nil, err
	}
	return &inv, nil
}

// BeginSignup checks the request and starts creating the first passkey.
func (s *Service) BeginSignup(ctx context.Context, req SignupRequest) (Challenge, error) {
	username, err := NormalizeUsername(req.Username)
	if err != nil {
		return Challenge{}, err
	}
	display, err := cleanName(req.DisplayName, ErrBadDisplayName)
	if err != nil {
		return Challenge{}, err
	}
	inv, err := s.SignupAllowed(ctx, req.Invite)
	if err != nil {
		return Challenge{}, err
	}
	taken, err := s.store.UsernameTaken(ctx, username)
	if err != nil {
		return Challenge{}, err
	}
	if taken {
		return Challenge{}, ErrUsernameTaken
	}
	p := signupPayload{UserID: uuid.New(), Username: username, DisplayName: display}
	if inv != nil {
		p.InviteID = &inv.ID
	}
	acct := &account{user: store.User{ID: p.UserID, Username: username, DisplayName: display}}
	creation, sd, err := s.wa.BeginRegistration(acct)
	if err != nil {
		return Challenge{}, fmt.Errorf("begin signup: %w", err)
	}
	return s.saveCeremony(ctx, kindSignup, nil, sd, p, creation)
}

// FinishSignup verifies the new passkey and creates the account with it,
// its recovery codes and a first session, all in one transaction.
func (s *Service) FinishSignup(ctx context.Context, ceremonyID uuid.UUID, body []byte, userAgent string) (SignedIn, error) {
	var p signupPayload
	c, err := s.takeCeremony(ctx, ceremonyID, kindSignup, &p)
	if err != nil {
		return SignedIn{}, err
	}
	parsed, err := parseCreation(body)
	if err != nil {
		return SignedIn{}, err
	}
	user := store.User{ID: p.UserID, Username: p.Username, DisplayName: p.DisplayName, CreatedAt: s.now()}
	cred, err := s.wa.CreateCredential(&account{user: user}, c.SessionData, parsed)
	if err != nil {
		return SignedIn{}, rejected(err)
	}
	codes, hashes := newRecoveryCodes()
	var out SignedIn
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		hasUsers, err := tx.HasUsers(ctx)
		if err != nil {
			return err
		}
		user.IsOwner = !hasUsers
		if s.inviteOnly && hasUsers && p.InviteID == nil {
			return ErrInviteRequired
		}
		if err := tx.CreateUser(ctx, user); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return ErrUsernameTaken
			}
			return err
		}
		if p.InviteID != nil {
			if err := tx.UseInvite(ctx, *p.InviteID, user.ID, s.now()); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return ErrInviteInvalid
				}
				return err
			}
		}
		pk := store.Passkey{ID: uuid.New(), UserID: user.ID, Name: DescribeUserAgent(userAgent), Credential: *cred, CreatedAt: s.now()}
		if err := tx.AddPasskey(ctx, pk); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return ErrPasskeyRejected
			}
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, user.ID, hashes, s.now()); err != nil {
			return err
		}
		for _, kind := range []string{store.EventSignUp, store.EventPasskeyAdded} {
			if err := s.event(ctx, tx, user.ID, kind, userAgent); err != nil {
				return err
			}
		}
		out, err = s.startSession(ctx, tx, user, userAgent)
		return err
	})
	if err != nil {
		return SignedIn{}, fmt.Errorf("finish signup: %w", err)
	}
	out.RecoveryCodes = codes
	return out, nil
}
