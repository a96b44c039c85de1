package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Collection is a named set of a user's documents.
type Collection struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	Name      string
	Documents int // how many documents it holds
	CreatedAt time.Time
}

// ChunkScope narrows a chunk search to one document or one collection;
// the zero value searches every document of the user.
type ChunkScope struct {
	DocumentID   *uuid.UUID
	CollectionID *uuid.UUID
}

// CreateCollection stores a new collection.
func (s *Store) CreateCollection(ctx context.Context, c Collection) error {
	k, err := s.keyFor(ctx, c.UserID)
	if err != nil {
		return fmt.Errorf("create collection: %w", err)
	}
	name, err := k.seal("collections", "name", c.ID, c.Name)
	if err != nil {
		return fmt.Errorf("create collection: %w", err)
	}
	if _, err := s.db.Exec(ctx, `INSERT INTO collections (id, user_id, name_sealed, created_at) VALUES ($1, $2, $3, $4)`,
		c.ID, c.UserID, name, c.CreatedAt); err != nil {
		return fmt.Errorf("create collection: %w", err)
	}
	return nil
}

// Collections lists the user's collections, oldest first.
func (s *Store) Collections(ctx context.Context, userID uuid.UUID) ([]Collection, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("collections: %w", err)
	}
	rows, err := s.db.Query(ctx, `
		SELECT c.id, c.user_id, c.name_sealed, c.created_at,
		       (SELECT count(*) FROM documents d WHERE d.collection_id = c.id AND d.user_id = c.user_id)
		FROM collections c WHERE c.user_id = $1 ORDER BY c.created_at, c.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("collections: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Collection, error) {
		var c Collection
		var name []byte
		if err := row.Scan(&c.ID, &c.UserID, &name, &c.CreatedAt, &c.Documents); err != nil {
			return c, err
		}
		c.Name, err = k.open("collections", "name", c.ID, name)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("collections: %w", err)
	}
	return list, nil
}

// DeleteCollection removes the user's collection; its documents stay,
// outside any collection.
func (s *Store) DeleteCollection(ctx context.Context, userID, id uuid.UUID) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM collections WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return fmt.Errorf("delete collection: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete collection: %w", ErrNotFound)
	}
	return nil
}

// SetDocumentCollection puts the user's document in collection (nil: in
// none). Both must be the user's.
func (s *Store) SetDocumentCollection(ctx context.Context, userID, documentID uuid.UUID, collection *uuid.UUID) error {
	tag, err := s.db.Exec(ctx, `
		UPDATE documents SET collection_id = $3 WHERE id = $1 AND user_id = $2
		AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM collections WHERE id = $3 AND user_id = $2))`,
		documentID, userID, collection)
	if err != nil {
		return fmt.Errorf("set document collection: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set document collection: %w", ErrNotFound)
	}
	return nil
}
