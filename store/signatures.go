package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// SaveSignedText keeps the signed text of the API response that answered
// with message messageID (see attestation.Responses). Saving again replaces
// it.
func (s *Store) SaveSignedText(ctx context.Context, userID, messageID uuid.UUID, text string, now time.Time) error {
	uk, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("save signed text: %w", err)
	}
	sealed, err := uk.seal("completion_signatures", "text", messageID, text)
	if err != nil {
		return fmt.Errorf("save signed text: %w", err)
	}
	// Derived from the exchange, not written by anyone: it does not wait
	// for the disk.
	tag, err := s.execNoWait(ctx, messageID, `
		INSERT INTO completion_signatures (message_id, user_id, text_sealed, created_at)
		SELECT id, user_id, $3, $4 FROM messages WHERE id = $1 AND user_id = $2
		ON CONFLICT (message_id) DO UPDATE SET text_sealed = EXCLUDED.text_sealed, created_at = EXCLUDED.created_at`,
		messageID, userID, sealed, now)
	if err != nil {
		return fmt.Errorf("save signed text: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("save signed text: message: %w", ErrNotFound)
	}
	return nil
}

// SignedText returns the signed text of the user's API response messageID;
// another user's id gives ErrNotFound.
func (s *Store) SignedText(ctx context.Context, userID, messageID uuid.UUID) (string, error) {
	var sealed []byte
	err := s.db.QueryRow(ctx, `
		SELECT text_sealed FROM completion_signatures WHERE message_id = $1 AND user_id = $2`,
		messageID, userID).Scan(&sealed)
	if err != nil {
		return "", notFound(err, "signed text")
	}
	uk, err := s.keyFor(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("signed text: %w", err)
	}
	return uk.open("completion_signatures", "text", messageID, sealed)
}
