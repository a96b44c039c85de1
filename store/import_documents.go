package store

import (
	"context"
	"fmt"
	"time"
)

// CreateImportedDocument stores an ingested document brought by an import:
// its passages as they were, with embeddings computed by this deployment,
// ready at once. There is no original file to keep.
func (s *Store) CreateImportedDocument(ctx context.Context, d Document, chunks []NewChunk, now time.Time) error {
	k, err := s.keyFor(ctx, d.UserID)
	if err != nil {
		return fmt.Errorf("create imported document: %w", err)
	}
	name, err := k.seal("documents", "name", d.ID, d.Name)
	if err != nil {
		return err
	}
	return s.InTx(ctx, func(tx *Store) error {
		_, err := tx.db.Exec(ctx, `
			INSERT INTO documents (id, user_id, name_sealed, kind, size_bytes, status, collection_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, 'processing', $6, $7, $8)`, d.ID, d.UserID, name, d.Kind, d.Size, d.CollectionID, d.CreatedAt, d.UpdatedAt)
		if err != nil {
			return fmt.Errorf("create imported document: %w", err)
		}
		return tx.CompleteDocument(ctx, d.UserID, d.ID, chunks, now)
	})
}
