package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"confidant/enclave/blindindex"
	"confidant/enclave/keys"
)

// AnswerStart is what one send commits before its answer is asked for:
// the person's turns and the empty answer that will stream under them.
type AnswerStart struct {
	UserID         uuid.UUID
	ConversationID uuid.UUID
	// NewConversation, when not nil, is created first (its current leaf
	// becomes the answer); otherwise the existing conversation is touched
	// and shows the answer.
	NewConversation *Conversation
	Turns           []Message // new finished turns, each the parent of the next
	Answer          Message   // the streaming answer, under the last turn or an earlier message
	Now             time.Time
}

// insertMessageSQL adds a message to a conversation of its user, under a
// parent of the same conversation; it adds nothing otherwise.
const insertMessageSQL = `
	INSERT INTO messages (id, conversation_id, user_id, parent_id, role, content_sealed, status, model, error_code, content_length, created_at, updated_at)
	SELECT $1, c.id, c.user_id, $4, $5, $6, $7, $8, $9, $10, $11, $11 FROM conversations c
	WHERE c.id = $2 AND c.user_id = $3
	  AND ($4::uuid IS NULL OR EXISTS (SELECT 1 FROM messages p WHERE p.id = $4 AND p.conversation_id = c.id))`

// StartAnswer commits a send in one round trip to the database, one
// implicit transaction that waits for the disk: the conversation when it
// is new, the turns with their search tokens, the empty streaming answer,
// and the conversation's branch on show. In the same round trip it reads
// the user's custom instructions, which the answer's prompt starts with,
// and returns them.
//
// Every statement checks ownership itself. A conversation that is not the
// user's, or a parent that is not in it, adds nothing and gives
// ErrNotFound; any database error rolls back all of it.
func (s *Store) StartAnswer(ctx context.Context, a AnswerStart) (instructions string, err error) {
	k, err := s.keyFor(ctx, a.UserID)
	if err != nil {
		return "", fmt.Errorf("start answer: %w", err)
	}
	b := &pgx.Batch{}
	if c := a.NewConversation; c != nil {
		if c.ID != a.ConversationID || c.UserID != a.UserID {
			return "", fmt.Errorf("start answer: new conversation %s is not the one sent to", c.ID)
		}
		var title []byte
		if c.Title != "" {
			if title, err = k.seal("conversations", "title", c.ID, c.Title); err != nil {
				return "", err
			}
		}
		b.Queue(`
			INSERT INTO conversations (id, user_id, title_sealed, model, pinned, archived, current_leaf, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			c.ID, c.UserID, title, c.Model, c.Pinned, c.Archived, a.Answer.ID, c.CreatedAt, a.Now)
		if c.Title != "" {
			b.Queue(`
				INSERT INTO search_tokens (user_id, conversation_id, message_id, token)
				SELECT $1, $2, NULL, unnest($3::bytea[])`,
				c.UserID, c.ID, blindindex.Tokens(s.keys.BlindIndexKey(keys.UserID(c.UserID)), c.Title))
		}
	}
	inserts := make([]*pgx.QueuedQuery, 0, len(a.Turns)+1)
	var tokenMessages []uuid.UUID
	var tokens [][]byte
	bkey := s.keys.BlindIndexKey(keys.UserID(a.UserID))
	for _, m := range append(a.Turns, a.Answer) {
		if m.ConversationID != a.ConversationID || m.UserID != a.UserID {
			return "", fmt.Errorf("start answer: message %s is not in conversation %s", m.ID, a.ConversationID)
		}
		sealed, err := k.seal("messages", "content", m.ID, m.Content)
		if err != nil {
			return "", err
		}
		inserts = append(inserts, b.Queue(insertMessageSQL,
			m.ID, m.ConversationID, m.UserID, m.ParentID, m.Role, sealed, m.Status, m.Model, m.ErrorCode, len(m.Content), m.CreatedAt))
		if m.Status != StatusStreaming {
			for _, t := range blindindex.Tokens(bkey, m.Content) {
				tokenMessages = append(tokenMessages, m.ID)
				tokens = append(tokens, t)
			}
		}
	}
	if len(tokens) > 0 {
		// A token of a message that was not added breaks the foreign key,
		// which rolls everything back.
		b.Queue(`
			INSERT INTO search_tokens (user_id, conversation_id, message_id, token)
			SELECT $1, $2, t.message_id, t.token FROM unnest($3::uuid[], $4::bytea[]) AS t(message_id, token)`,
			a.UserID, a.ConversationID, tokenMessages, tokens)
	}
	var touched *pgx.QueuedQuery
	if a.NewConversation == nil {
		touched = b.Queue(`UPDATE conversations SET current_leaf = $3, updated_at = $4 WHERE id = $1 AND user_id = $2`,
			a.ConversationID, a.UserID, a.Answer.ID, a.Now)
	}
	var sealedInstructions []byte
	b.Queue(`SELECT instructions_sealed FROM user_settings WHERE user_id = $1`, a.UserID).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&sealedInstructions)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})

	missing := false
	for _, q := range inserts {
		q.Exec(func(tag pgconn.CommandTag) error {
			missing = missing || tag.RowsAffected() == 0
			return nil
		})
	}
	if touched != nil {
		touched.Exec(func(tag pgconn.CommandTag) error {
			missing = missing || tag.RowsAffected() == 0
			return nil
		})
	}
	if err := s.db.SendBatch(ctx, b).Close(); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23503" { // foreign_key_violation
			return "", fmt.Errorf("start answer: conversation or parent: %w", ErrNotFound)
		}
		return "", fmt.Errorf("start answer: %w", err)
	}
	if missing {
		return "", fmt.Errorf("start answer: conversation or parent: %w", ErrNotFound)
	}
	if sealedInstructions == nil {
		return "", nil
	}
	return k.open("user_settings", "instructions", a.UserID, sealedInstructions)
}
