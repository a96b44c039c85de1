package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Source is a passage an answer was given, as its citation shows it.
type Source struct {
	Ordinal      int // the n of [n]
	ChunkID      uuid.UUID
	DocumentID   uuid.UUID
	DocumentName string
	Heading      string
}

// SetConversationDocuments sets which of the user's documents a
// conversation answers from: "" none, "all", or a document id.
func (s *Store) SetConversationDocuments(ctx context.Context, userID, id uuid.UUID, scope string) error {
	tag, err := s.db.Exec(ctx, `UPDATE conversations SET documents = $3 WHERE id = $1 AND user_id = $2`, id, userID, scope)
	if err != nil {
		return fmt.Errorf("set conversation documents: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set conversation documents: %w", ErrNotFound)
	}
	return nil
}

// LinkMessageSources records the passages the user's answer messageID was
// given, numbered from 1 in order.
func (s *Store) LinkMessageSources(ctx context.Context, userID, messageID uuid.UUID, chunkIDs []uuid.UUID) error {
	if len(chunkIDs) == 0 {
		return nil
	}
	_, err := s.db.Exec(ctx, `
		INSERT INTO message_sources (message_id, ordinal, chunk_id, user_id)
		SELECT $2, c.n, c.id, $1 FROM unnest($3::uuid[]) WITH ORDINALITY AS c(id, n)
		WHERE EXISTS (SELECT 1 FROM chunks WHERE id = c.id AND user_id = $1)
		  AND EXISTS (SELECT 1 FROM messages WHERE id = $2 AND user_id = $1)
		ON CONFLICT DO NOTHING`, userID, messageID, chunkIDs)
	if err != nil {
		return fmt.Errorf("link message sources: %w", err)
	}
	return nil
}

// MessageSources returns, for each of the user's messages that was given
// passages still stored, their citations in order.
func (s *Store) MessageSources(ctx context.Context, userID uuid.UUID, messageIDs []uuid.UUID) (map[uuid.UUID][]Source, error) {
	if len(messageIDs) == 0 {
		return nil, nil
	}
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("message sources: %w", err)
	}
	rows, err := s.db.Query(ctx, `
		SELECT ms.message_id, ms.ordinal, c.id, d.id, d.name_sealed, c.heading_sealed
		FROM message_sources ms JOIN chunks c ON c.id = ms.chunk_id JOIN documents d ON d.id = c.document_id
		WHERE ms.user_id = $1 AND ms.message_id = ANY($2) ORDER BY ms.message_id, ms.ordinal`, userID, messageIDs)
	if err != nil {
		return nil, fmt.Errorf("message sources: %w", err)
	}
	type row struct {
		message uuid.UUID
		src     Source
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var out row
		var name, heading []byte
		if err := r.Scan(&out.message, &out.src.Ordinal, &out.src.ChunkID, &out.src.DocumentID, &name, &heading); err != nil {
			return out, err
		}
		var err error
		if out.src.DocumentName, err = k.open("documents", "name", out.src.DocumentID, name); err != nil {
			return out, err
		}
		out.src.Heading, err = k.open("chunks", "heading", out.src.ChunkID, heading)
		return out, err
	})
	if err != nil {
		return nil, fmt.Errorf("message sources: %w", err)
	}
	byMessage := make(map[uuid.UUID][]Source)
	for _, r := range list {
		byMessage[r.message] = append(byMessage[r.message], r.src)
	}
	return byMessage, nil
}
