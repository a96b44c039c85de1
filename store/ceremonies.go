package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"
)

// Ceremony is a WebAuthn registration or assertion in progress: the
// challenge and what the finishing request needs to know.
type Ceremony struct {
	ID          uuid.UUID
	Kind        string
	UserID      *uuid.UUID
	SessionData webauthn.SessionData
	Payload     json.RawMessage
	ExpiresAt   time.Time
}

// SaveCeremony stores a pending ceremony and clears out expired ones.
func (s *Store) SaveCeremony(ctx context.Context, c Ceremony) error {
	data, err := json.Marshal(c.SessionData)
	if err != nil {
		return fmt.Errorf("save ceremony: %w", err)
	}
	payload := c.Payload
	if len(payload) == 0 {
		payload = json.RawMessage(`{}`)
	}
	sealedData, err := s.appSeal("webauthn_ceremonies", "session_data", c.ID, data)
	if err != nil {
		return fmt.Errorf("save ceremony: %w", err)
	}
	sealedPayload, err := s.appSeal("webauthn_ceremonies", "payload", c.ID, payload)
	if err != nil {
		return fmt.Errorf("save ceremony: %w", err)
	}
	if _, err := s.db.Exec(ctx, `DELETE FROM webauthn_ceremonies WHERE expires_at < now() - interval '1 hour'`); err != nil {
		return fmt.Errorf("save ceremony: %w", err)
	}
	_, err = s.db.Exec(ctx, `
		INSERT INTO webauthn_ceremonies (id, kind, user_id, session_data, payload, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, c.ID, c.Kind, c.UserID, sealedData, sealedPayload, c.ExpiresAt)
	if err != nil {
		return fmt.Errorf("save ceremony: %w", err)
	}
	return nil
}

// TakeCeremony removes and returns the pending ceremony of that id and
// kind, so each challenge can be answered once. An unknown, already used or
// expired ceremony gives ErrNotFound.
func (s *Store) TakeCeremony(ctx context.Context, id uuid.UUID, kind string, now time.Time) (Ceremony, error) {
	var c Ceremony
	var sealedData, sealedPayload []byte
	err := s.db.QueryRow(ctx, `
		DELETE FROM webauthn_ceremonies WHERE id = $1 AND kind = $2
		RETURNING id, kind, user_id, session_data, payload, expires_at`, id, kind).Scan(
		&c.ID, &c.Kind, &c.UserID, &sealedData, &sealedPayload, &c.ExpiresAt)
	if err != nil {
		return Ceremony{}, notFound(err, "take ceremony")
	}
	if !c.ExpiresAt.After(now) {
		return Ceremony{}, fmt.Errorf("take ceremony: expired: %w", ErrNotFound)
	}
	data, err := s.appOpen("webauthn_ceremonies", "session_data", c.ID, sealedData)
	if err != nil {
		return Ceremony{}, fmt.Errorf("take ceremony: %w", err)
	}
	if c.Payload, err = s.appOpen("webauthn_ceremonies", "payload", c.ID, sealedPayload); err != nil {
		return Ceremony{}, fmt.Errorf("take ceremony: %w", err)
	}
	if err := json.Unmarshal(data, &c.SessionData); err != nil {
		return Ceremony{}, fmt.Errorf("take ceremony: %w", err)
	}
	return c, nil
}
