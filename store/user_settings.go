package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Instructions returns the user's custom instructions, "" when none.
func (s *Store) Instructions(ctx context.Context, userID uuid.UUID) (string, error) {
	var sealed []byte
	err := s.db.QueryRow(ctx, `SELECT instructions_sealed FROM user_settings WHERE user_id = $1`, userID).Scan(&sealed)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && sealed == nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("instructions: %w", err)
	}
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("instructions: %w", err)
	}
	return k.open("user_settings", "instructions", userID, sealed)
}

// SetInstructions stores the user's custom instructions ("" clears them).
func (s *Store) SetInstructions(ctx context.Context, userID uuid.UUID, text string, now time.Time) error {
	var sealed []byte
	if text != "" {
		k, err := s.keyFor(ctx, userID)
		if err != nil {
			return fmt.Errorf("set instructions: %w", err)
		}
		if sealed, err = k.seal("user_settings", "instructions", userID, text); err != nil {
			return err
		}
	}
	_, err := s.db.Exec(ctx, `
		INSERT INTO user_settings (user_id, instructions_sealed, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET instructions_sealed = excluded.instructions_sealed, updated_at = excluded.updated_at`,
		userID, sealed, now)
	if err != nil {
		return fmt.Errorf("set instructions: %w", err)
	}
	return nil
}
