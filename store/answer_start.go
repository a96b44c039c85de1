package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"confidant/enclave/blindindex"
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

// insertMessageTokensSQL indexes a stored message of the user ($1, $2)
// with tokens $3, which it has none of yet; for any other id it adds
// nothing.
const insertMessageTokensSQL = `
	INSERT INTO search_docs (conversation_id, user_id, message_id, tokens)
	SELECT m.conversation_id, m.user_id, m.id, $3::bytea[] FROM messages m WHERE m.id = $1 AND m.user_id = $2`

// StartAnswer commits a send in one round trip to the database, one
// implicit transaction that waits for the disk: the conversation when it
// is new, the turns with their search tokens, the empty streaming answer,
// and the conversation's branch on show. In the same round trip it reads
// the user's custom instructions, which the answer's prompt starts with,
// and returns them.
//
// Every statement checks ownership itself. A conversation that is not the
// user's, or a parent that is not in it, adds nothing (no message, so no
// token either) and gives ErrNotFound; any database error rolls back all
// of it.
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
		created := *c
		created.CurrentLeaf = &a.Answer.ID
		if err := s.queueCreateConversation(ctx, b, created, a.Now); err != nil {
			return "", fmt.Errorf("start answer: %w", err)
		}
	}
	mustWrite := make([]*pgx.QueuedQuery, 0, len(a.Turns)+2) // statements that must each touch a row
	bkey := k.index
	for _, m := range append(a.Turns, a.Answer) {
		if m.ConversationID != a.ConversationID || m.UserID != a.UserID {
			return "", fmt.Errorf("start answer: message %s is not in conversation %s", m.ID, a.ConversationID)
		}
		sealed, err := k.seal("messages", "content", m.ID, m.Content)
		if err != nil {
			return "", err
		}
		mustWrite = append(mustWrite, b.Queue(insertMessageSQL,
			m.ID, m.ConversationID, m.UserID, m.ParentID, m.Role, sealed, m.Status, m.Model, m.ErrorCode, len(m.Content), m.CreatedAt))
		if m.Status == StatusStreaming {
			continue // indexed when it ends
		}
		if tokens := blindindex.Tokens(bkey, m.Content); len(tokens) > 0 {
			b.Queue(insertMessageTokensSQL, m.ID, m.UserID, tokens)
		}
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

	// One flag per statement, assigned: a batch may run twice (see
	// commitGroup), and only the run that counts may decide.
	if touched != nil {
		mustWrite = append(mustWrite, touched)
	}
	missing := make([]bool, len(mustWrite))
	for i, q := range mustWrite {
		q.Exec(func(tag pgconn.CommandTag) error {
			missing[i] = tag.RowsAffected() == 0
			return nil
		})
	}
	if err := s.sendGrouped(ctx, s.groups.starts, a.ConversationID, b); err != nil {
		return "", fmt.Errorf("start answer: %w", err)
	}
	if slices.Contains(missing, true) {
		return "", fmt.Errorf("start answer: conversation or parent: %w", ErrNotFound)
	}
	if sealedInstructions == nil {
		return "", nil
	}
	return k.open("user_settings", "instructions", a.UserID, sealedInstructions)
}
