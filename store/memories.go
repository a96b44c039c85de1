package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"confidant/enclave/blindindex"
	"confidant/enclave/keys"
	"confidant/enclave/vecxform"
)

// Kinds of memory, by how it was made.
const (
	MemoryExplicit  = "explicit"  // the user said "remember that …" in a chat
	MemoryAutomatic = "automatic" // extracted from a conversation after an answer
	MemoryManual    = "manual"    // written on the memory page or through the API
)

// Memory is one durable fact about the user.
type Memory struct {
	ID                   uuid.UUID
	UserID               uuid.UUID
	Text                 string
	Kind                 string
	SourceConversationID *uuid.UUID // where it came from, while that exists
	SourceMessageID      *uuid.UUID
	CreatedAt            time.Time
	UpdatedAt            time.Time
	LastUsedAt           *time.Time
}

// ScoredMemory is a memory with its cosine similarity to a query.
type ScoredMemory struct {
	Memory
	Similarity float64
}

// MemoryPage is one page of a user's memories.
type MemoryPage struct {
	Items []Memory
	Next  string // cursor of the next page; "" at the end
}

const memoryColumns = `id, user_id, text_sealed, kind, source_conversation_id, source_message_id, created_at, updated_at, last_used_at`

// CreateMemory stores m with its embedding (nil: not embedded), both under
// the user's keys.
func (s *Store) CreateMemory(ctx context.Context, m Memory, embedding []float32) error {
	uk, err := s.keyFor(ctx, m.UserID)
	if err != nil {
		return fmt.Errorf("create memory: %w", err)
	}
	sealed, err := uk.seal("memories", "text", m.ID, m.Text)
	if err != nil {
		return fmt.Errorf("create memory: %w", err)
	}
	vec, err := s.userVector(m.UserID, embedding)
	if err != nil {
		return fmt.Errorf("create memory: %w", err)
	}
	return s.InTx(ctx, func(tx *Store) error {
		_, err := tx.db.Exec(ctx, `
			INSERT INTO memories (id, user_id, text_sealed, kind, source_conversation_id, source_message_id, embedding, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
			m.ID, m.UserID, sealed, m.Kind, m.SourceConversationID, m.SourceMessageID, vec, m.CreatedAt)
		if err != nil {
			return fmt.Errorf("create memory: %w", err)
		}
		return tx.indexMemory(ctx, m.UserID, m.ID, m.Text)
	})
}

// UpdateMemory replaces the text and embedding of the user's memory id.
func (s *Store) UpdateMemory(ctx context.Context, userID, id uuid.UUID, text string, embedding []float32, now time.Time) error {
	uk, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("update memory: %w", err)
	}
	sealed, err := uk.seal("memories", "text", id, text)
	if err != nil {
		return fmt.Errorf("update memory: %w", err)
	}
	vec, err := s.userVector(userID, embedding)
	if err != nil {
		return fmt.Errorf("update memory: %w", err)
	}
	return s.InTx(ctx, func(tx *Store) error {
		tag, err := tx.db.Exec(ctx, `
			UPDATE memories SET text_sealed = $3, embedding = $4, updated_at = $5 WHERE id = $1 AND user_id = $2`,
			id, userID, sealed, vec, now)
		if err != nil {
			return fmt.Errorf("update memory: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("update memory: %w", ErrNotFound)
		}
		if _, err := tx.db.Exec(ctx, `DELETE FROM memory_tokens WHERE memory_id = $1`, id); err != nil {
			return fmt.Errorf("update memory: %w", err)
		}
		return tx.indexMemory(ctx, userID, id, text)
	})
}

// DeleteMemory removes the user's memory id, its vector and its tokens.
func (s *Store) DeleteMemory(ctx context.Context, userID, id uuid.UUID) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM memories WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return fmt.Errorf("delete memory: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete memory: %w", ErrNotFound)
	}
	return nil
}

// Memory returns the user's memory id.
func (s *Store) Memory(ctx context.Context, userID, id uuid.UUID) (Memory, error) {
	rows, err := s.db.Query(ctx, `SELECT `+memoryColumns+` FROM memories WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return Memory{}, fmt.Errorf("memory: %w", err)
	}
	list, err := s.collectMemories(ctx, userID, rows)
	if err != nil {
		return Memory{}, fmt.Errorf("memory: %w", err)
	}
	if len(list) == 0 {
		return Memory{}, fmt.Errorf("memory: %w", ErrNotFound)
	}
	return list[0], nil
}

// Memories lists the user's memories, most recently updated first, from
// cursor ("" for the start).
func (s *Store) Memories(ctx context.Context, userID uuid.UUID, cursor string, limit int) (MemoryPage, error) {
	_, at, after, err := decodeCursor(cursor)
	if err != nil {
		return MemoryPage{}, err
	}
	rows, err := s.db.Query(ctx, `
		SELECT `+memoryColumns+` FROM memories
		WHERE user_id = $1 AND (updated_at, id) < ($2, $3)
		ORDER BY updated_at DESC, id DESC LIMIT $4`, userID, at, after, limit+1)
	if err != nil {
		return MemoryPage{}, fmt.Errorf("memories: %w", err)
	}
	list, err := s.collectMemories(ctx, userID, rows)
	if err != nil {
		return MemoryPage{}, fmt.Errorf("memories: %w", err)
	}
	page := MemoryPage{Items: list}
	if len(list) > limit {
		page.Items = list[:limit]
		last := page.Items[limit-1]
		page.Next = encodeCursor(false, last.UpdatedAt, last.ID)
	}
	return page, nil
}

// SearchMemories returns the user's memories containing every word of
// query (blind index), most recently updated first.
func (s *Store) SearchMemories(ctx context.Context, userID uuid.UUID, query string, limit int) ([]Memory, error) {
	tokens := blindindex.QueryTokens(s.keys.BlindIndexKey(keys.UserID(userID)), query)
	if len(tokens) == 0 {
		return nil, nil
	}
	rows, err := s.db.Query(ctx, `
		SELECT `+memoryColumns+` FROM memories WHERE user_id = $1 AND id IN (
			SELECT memory_id FROM memory_tokens WHERE user_id = $1 AND token = ANY($2)
			GROUP BY memory_id HAVING count(DISTINCT token) = $3)
		ORDER BY updated_at DESC, id DESC LIMIT $4`, userID, tokens, len(tokens), limit)
	if err != nil {
		return nil, fmt.Errorf("search memories: %w", err)
	}
	list, err := s.collectMemories(ctx, userID, rows)
	if err != nil {
		return nil, fmt.Errorf("search memories: %w", err)
	}
	return list, nil
}

// NearestMemories returns the user's limit memories most similar to
// embedding (cosine), best first. The query goes through the same
// per-user transform as the stored vectors, which keeps cosine similarity.
func (s *Store) NearestMemories(ctx context.Context, userID uuid.UUID, embedding []float32, limit int) ([]ScoredMemory, error) {
	vec, err := s.userVector(userID, embedding)
	if err != nil || vec == nil {
		return nil, fmt.Errorf("nearest memories: %w", errors.Join(err, errors.New("no query vector")))
	}
	rows, err := s.db.Query(ctx, `
		SELECT `+memoryColumns+`, 1 - (embedding <=> $2) FROM memories
		WHERE user_id = $1 AND embedding IS NOT NULL AND vector_dims(embedding) = $4
		ORDER BY embedding <=> $2 LIMIT $3`, userID, vec, limit, len(embedding))
	if err != nil {
		return nil, fmt.Errorf("nearest memories: %w", err)
	}
	uk, err := s.keyFor(ctx, userID)
	if err != nil {
		rows.Close()
		return nil, fmt.Errorf("nearest memories: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ScoredMemory, error) {
		var sm ScoredMemory
		var err error
		sm.Memory, err = scanMemory(uk, row, nil, &sm.Similarity)
		return sm, err
	})
	if err != nil {
		return nil, fmt.Errorf("nearest memories: %w", err)
	}
	return list, nil
}

// TouchMemories records that the memories ids were used for an answer.
func (s *Store) TouchMemories(ctx context.Context, userID uuid.UUID, ids []uuid.UUID, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.db.Exec(ctx, `UPDATE memories SET last_used_at = $3 WHERE user_id = $1 AND id = ANY($2)`, userID, ids, now); err != nil {
		return fmt.Errorf("touch memories: %w", err)
	}
	return nil
}

// MemoryPaused reports whether the user paused memory: nothing is read
// from it or written to it while paused.
func (s *Store) MemoryPaused(ctx context.Context, userID uuid.UUID) (bool, error) {
	var paused bool
	err := s.db.QueryRow(ctx, `SELECT memory_paused FROM user_settings WHERE user_id = $1`, userID).Scan(&paused)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("memory paused: %w", err)
	}
	return paused, nil
}

// SetMemoryPaused pauses or resumes the user's memory.
func (s *Store) SetMemoryPaused(ctx context.Context, userID uuid.UUID, paused bool, now time.Time) error {
	_, err := s.db.Exec(ctx, `
		INSERT INTO user_settings (user_id, memory_paused, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET memory_paused = excluded.memory_paused, updated_at = excluded.updated_at`,
		userID, paused, now)
	if err != nil {
		return fmt.Errorf("set memory paused: %w", err)
	}
	return nil
}

// scanMemory reads the columns of memoryColumns, with the columns of
// before selected ahead of them and those of after behind, and opens the
// text.
func scanMemory(uk userKey, row pgx.CollectableRow, before []any, after ...any) (Memory, error) {
	var m Memory
	var sealed []byte
	dest := append(append(before, &m.ID, &m.UserID, &sealed, &m.Kind, &m.SourceConversationID, &m.SourceMessageID,
		&m.CreatedAt, &m.UpdatedAt, &m.LastUsedAt), after...)
	if err := row.Scan(dest...); err != nil {
		return m, err
	}
	var err error
	m.Text, err = uk.open("memories", "text", m.ID, sealed)
	return m, err
}

func (s *Store) collectMemories(ctx context.Context, userID uuid.UUID, rows pgx.Rows) ([]Memory, error) {
	uk, err := s.keyFor(ctx, userID)
	if err != nil {
		rows.Close()
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Memory, error) {
		return scanMemory(uk, row, nil)
	})
}

// indexMemory writes the blind-index tokens of a memory's text.
func (s *Store) indexMemory(ctx context.Context, userID, id uuid.UUID, text string) error {
	tokens := blindindex.Tokens(s.keys.BlindIndexKey(keys.UserID(userID)), text)
	if len(tokens) == 0 {
		return nil
	}
	_, err := s.db.Exec(ctx, `
		INSERT INTO memory_tokens (user_id, memory_id, token) SELECT $1, $2, unnest($3::bytea[])`, userID, id, tokens)
	if err != nil {
		return fmt.Errorf("index memory: %w", err)
	}
	return nil
}

// userVector applies the user's secret orthogonal transform to embedding;
// nil stays nil (no vector).
func (s *Store) userVector(userID uuid.UUID, embedding []float32) (*pgvector.Vector, error) {
	if embedding == nil {
		return nil, nil
	}
	t, err := vecxform.New(s.keys.VectorKey(keys.UserID(userID)), len(embedding))
	if err != nil {
		return nil, fmt.Errorf("vector transform: %w", err)
	}
	out := make([]float32, len(embedding))
	t.Apply(out, embedding)
	v := pgvector.NewVector(out)
	return &v, nil
}

// LinkMessageMemories records that the user's answer messageID was given
// the memories ids.
func (s *Store) LinkMessageMemories(ctx context.Context, userID, messageID uuid.UUID, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.db.Exec(ctx, `
		INSERT INTO message_memories (message_id, memory_id, user_id)
		SELECT $2, m.id, m.user_id FROM memories m
		WHERE m.user_id = $1 AND m.id = ANY($3) AND EXISTS (SELECT 1 FROM messages WHERE id = $2 AND user_id = $1)
		ON CONFLICT DO NOTHING`, userID, messageID, ids)
	if err != nil {
		return fmt.Errorf("link message memories: %w", err)
	}
	return nil
}

// MessageMemories returns, for each of the user's messages that was given
// memories still remembered, those memories.
func (s *Store) MessageMemories(ctx context.Context, userID uuid.UUID, messageIDs []uuid.UUID) (map[uuid.UUID][]Memory, error) {
	if len(messageIDs) == 0 {
		return nil, nil
	}
	uk, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("message memories: %w", err)
	}
	rows, err := s.db.Query(ctx, `
		SELECT mm.message_id, m.id, m.user_id, m.text_sealed, m.kind, m.source_conversation_id, m.source_message_id,
		       m.created_at, m.updated_at, m.last_used_at
		FROM message_memories mm JOIN memories m ON m.id = mm.memory_id
		WHERE mm.user_id = $1 AND mm.message_id = ANY($2) ORDER BY mm.message_id, m.updated_at DESC, m.id`, userID, messageIDs)
	if err != nil {
		return nil, fmt.Errorf("message memories: %w", err)
	}
	type link struct {
		message uuid.UUID
		memory  Memory
	}
	links, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (link, error) {
		var l link
		var err error
		l.memory, err = scanMemory(uk, row, []any{&l.message})
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("message memories: %w", err)
	}
	out := make(map[uuid.UUID][]Memory)
	for _, l := range links {
		out[l.message] = append(out[l.message], l.memory)
	}
	return out, nil
}
