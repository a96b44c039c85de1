package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// ReplaceRecoveryCodes discards the user's recovery codes and stores the
// hashes of a new set.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID uuid.UUID, hashes [][]byte, now time.Time) error {
	return s.InTx(ctx, func(tx *Store) error {
		if _, err := tx.db.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return fmt.Errorf("replace recovery codes: %w", err)
		}
		for _, h := range hashes {
			if _, err := tx.db.Exec(ctx,
				`INSERT INTO recovery_codes (id, user_id, code_hash, created_at) VALUES ($1, $2, $3, $4)`,
				uuid.New(), userID, h, now); err != nil {
				return fmt.Errorf("replace recovery codes: %w", err)
			}
		}
		return nil
	})
}

// UnusedRecoveryCode returns the id of the user's unused code with that
// hash, or ErrNotFound.
func (s *Store) UnusedRecoveryCode(ctx context.Context, userID uuid.UUID, hash []byte) (uuid.UUID, error) {
	var id uuid.UUID
	err := s.db.QueryRow(ctx,
		`SELECT id FROM recovery_codes WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`, userID, hash).Scan(&id)
	if err != nil {
		return uuid.Nil, notFound(err, "recovery code")
	}
	return id, nil
}

// UseRecoveryCode marks a code used; a code already used gives ErrNotFound,
// so each code works once even under concurrent attempts.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, id uuid.UUID, now time.Time) error {
	tag, err := s.db.Exec(ctx,
		`UPDATE recovery_codes SET used_at = $3 WHERE id = $2 AND user_id = $1 AND used_at IS NULL`, userID, id, now)
	if err != nil {
		return fmt.Errorf("use recovery code: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("use recovery code: %w", ErrNotFound)
	}
	return nil
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID uuid.UUID) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("recovery codes left: %w", err)
	}
	return n, nil
}
