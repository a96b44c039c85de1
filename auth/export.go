package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"confidant/store"
)

// ActionExport is the step-up action that confirms an account export.
const ActionExport = "export"

// kindExportGrant is a confirmed export waiting for its download request.
const kindExportGrant = "export_grant"

// ExportGrantTTL is how long a confirmed export waits for its download.
const ExportGrantTTL = 2 * time.Minute

// GrantExport records that the user just confirmed an export (call it only
// after FinishStepUpWith for ActionExport) and returns a single-use grant
// that TakeExportGrant redeems once, within ExportGrantTTL, for that user.
// It lets the download be an ordinary form post the browser saves as a
// file, and it lives in the database so any replica can serve it.
func (s *Service) GrantExport(ctx context.Context, user store.User, details json.RawMessage) (uuid.UUID, error) {
	c := store.Ceremony{ID: uuid.New(), Kind: kindExportGrant, UserID: &user.ID, SessionData: webauthn.SessionData{},
		Payload: details, ExpiresAt: s.now().Add(ExportGrantTTL)}
	if err := s.store.SaveCeremony(ctx, c); err != nil {
		return uuid.Nil, fmt.Errorf("grant export: %w", err)
	}
	return c.ID, nil
}

// TakeExportGrant redeems a grant of the user's and returns the details
// given to GrantExport; an unknown, used, expired or other user's grant is
// ErrCeremonyExpired.
func (s *Service) TakeExportGrant(ctx context.Context, user store.User, id uuid.UUID) (json.RawMessage, error) {
	var details json.RawMessage
	c, err := s.takeCeremony(ctx, id, kindExportGrant, &details)
	if err != nil {
		return nil, err
	}
	if c.UserID == nil || *c.UserID != user.ID {
		return nil, ErrCeremonyExpired
	}
	return details, nil
}
