package store

import (
	"context"

	"github.com/google/uuid"
)

// SealForTest seals a value as the store would for the user's row, so
// tests outside the package can write rows of tables whose writers live on
// other branches.
func (s *Store) SealForTest(ctx context.Context, userID uuid.UUID, table, column string, rowID uuid.UUID, plaintext string) ([]byte, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, err
	}
	return k.seal(table, column, rowID, plaintext)
}
