package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"confidant/enclave/blindindex"
	"confidant/enclave/keys"
)

// Message roles and the states an answer ends in.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"

	StatusStreaming   = "streaming"
	StatusComplete    = "complete"
	StatusStopped     = "stopped"
	StatusInterrupted = "interrupted"
	StatusFailed      = "failed"
)

// Message is one turn of a conversation; ParentID links the turns into a
// tree, so an edited message starts a new branch.
type Message struct {
	ID             uuid.UUID
	ConversationID uuid.UUID
	UserID         uuid.UUID
	ParentID       *uuid.UUID
	Role           string
	Content        string
	Status         string
	Model          string
	ErrorCode      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

const messageColumns = `id, conversation_id, user_id, parent_id, role, content_sealed, status, model, error_code, created_at, updated_at`

func scanMessage(k userKey) pgx.RowToFunc[Message] {
	return func(row pgx.CollectableRow) (Message, error) {
		var m Message
		var content []byte
		if err := row.Scan(&m.ID, &m.ConversationID, &m.UserID, &m.ParentID, &m.Role, &content, &m.Status, &m.Model, &m.ErrorCode, &m.CreatedAt, &m.UpdatedAt); err != nil {
			return Message{}, err
		}
		var err error
		m.Content, err = k.open("messages", "content", m.ID, content)
		return m, err
	}
}

// AddMessage stores a message in one of the user's conversations. Finished
// messages are added to the search index.
func (s *Store) AddMessage(ctx context.Context, m Message) error {
	return s.InTx(ctx, func(tx *Store) error {
		k, err := tx.keyFor(ctx, m.UserID)
		if err != nil {
			return fmt.Errorf("add message: %w", err)
		}
		content, err := k.seal("messages", "content", m.ID, m.Content)
		if err != nil {
			return err
		}
		tag, err := tx.db.Exec(ctx, insertMessageSQL,
			m.ID, m.ConversationID, m.UserID, m.ParentID, m.Role, content, m.Status, m.Model, m.ErrorCode, len(m.Content), m.CreatedAt)
		if err != nil {
			return fmt.Errorf("add message: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("add message: conversation or parent: %w", ErrNotFound)
		}
		if m.Status != StatusStreaming {
			return tx.insertTokens(ctx, m.UserID, m.ConversationID, &m.ID, m.Content)
		}
		return nil
	})
}

// AnswerEnd is how an answer ends, written at once: its final text and
// state, its conversation's title when this is the conversation's first
// answer, and the verdict on its signature when that was checked in time.
type AnswerEnd struct {
	UserID, MessageID          uuid.UUID
	Content, Status, ErrorCode string
	Now                        time.Time
	// ConversationID and Title title the answer's conversation, unless
	// it has a title already; Title "" leaves it alone.
	ConversationID uuid.UUID
	Title          string
	TitleFrom      string // see ConversationUpdate.TitleFrom
	// Verification, when not nil, is stored with the end state, in the
	// same row version.
	Verification *AnswerVerification
}

// EndAnswer stores an answer's end state in one round trip, grouped with
// the ends of other answers of the moment: how an answer that ends can
// title a new conversation and keep its verdict without another
// transaction.
func (s *Store) EndAnswer(ctx context.Context, e AnswerEnd) error {
	k, err := s.keyFor(ctx, e.UserID)
	if err != nil {
		return fmt.Errorf("end answer: %w", err)
	}
	var verification []byte
	if e.Verification != nil {
		if verification, err = sealVerification(k, e.MessageID, *e.Verification); err != nil {
			return fmt.Errorf("end answer: %w", err)
		}
	}
	b := &pgx.Batch{}
	updated, err := s.queueUpdateMessage(ctx, b, e.UserID, e.MessageID, e.Content, e.Status, e.ErrorCode, e.Now, verification)
	if err != nil {
		return fmt.Errorf("end answer: %w", err)
	}
	titled := new(bool)
	*titled = true
	if e.Title != "" {
		sealedTitle, err := k.seal("conversations", "title", e.ConversationID, e.Title)
		if err != nil {
			return fmt.Errorf("end answer: %w", err)
		}
		titled = s.queueUpdateConversation(b, e.UserID, e.ConversationID, ConversationUpdate{Title: &e.Title, OnlyIfNoTitle: true, TitleFrom: e.TitleFrom}, sealedTitle, e.Now)
	}
	if err := s.sendGrouped(ctx, s.groups.ends, e.ConversationID, b); err != nil {
		return fmt.Errorf("end answer: %w", err)
	}
	if !*updated || !*titled {
		return fmt.Errorf("end answer: %w", ErrNotFound)
	}
	return nil
}

// queueUpdateMessage adds the statements that replace a message's content
// and status to b (its text is indexed once it ends), and the sealed
// verification unless it is nil. What it points to tells, once b has run,
// whether the message was there to update.
func (s *Store) queueUpdateMessage(ctx context.Context, b *pgx.Batch, userID, id uuid.UUID, content, status, errorCode string, now time.Time,
	verification []byte) (*bool, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, err
	}
	sealed, err := k.seal("messages", "content", id, content)
	if err != nil {
		return nil, err
	}
	updated := new(bool)
	b.Queue(`
		UPDATE messages SET content_sealed = $3, status = $4, error_code = $5, content_length = $6, updated_at = $7,
			verification_sealed = coalesce($8, verification_sealed)
		WHERE id = $1 AND user_id = $2`,
		id, userID, sealed, status, errorCode, len(content), now, verification).Exec(func(tag pgconn.CommandTag) error {
		*updated = tag.RowsAffected() > 0
		return nil
	})
	b.Queue(notifyFollowersSQL, id)
	if status != StatusStreaming {
		if tokens := blindindex.Tokens(k.index, content); len(tokens) > 0 {
			b.Queue(insertMessageTokensSQL+`
				ON CONFLICT (message_id) WHERE message_id IS NOT NULL DO UPDATE SET tokens = EXCLUDED.tokens`, id, userID, tokens)
		} else {
			b.Queue(`DELETE FROM search_docs WHERE message_id = $1`, id)
		}
	}
	return updated, nil
}

// SaveStreamingMessage commits the text of an answer still streaming. These
// batch commits do not wait for the disk (synchronous_commit off): a crash
// may lose the last batch, which DESIGN.md allows, and in exchange they
// cost the stream nothing. The final state goes through EndAnswer.
func (s *Store) SaveStreamingMessage(ctx context.Context, userID, id uuid.UUID, content string, now time.Time) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("save streaming message: %w", err)
	}
	sealed, err := k.seal("messages", "content", id, content)
	if err != nil {
		return err
	}
	// One round trip: the update and the notification, grouped with the
	// other no-wait writes of the moment.
	batch := &pgx.Batch{}
	updated := false
	batch.Queue(`
		UPDATE messages SET content_sealed = $3, content_length = $4, updated_at = $5
		WHERE id = $1 AND user_id = $2 AND status = 'streaming'`, id, userID, sealed, len(content), now).Exec(func(tag pgconn.CommandTag) error {
		updated = tag.RowsAffected() > 0
		return nil
	})
	batch.Queue(notifyFollowersSQL, id)
	if err := s.sendGrouped(ctx, s.groups.noWait, id, batch); err != nil {
		return fmt.Errorf("save streaming message: %w", err)
	}
	if !updated {
		return fmt.Errorf("save streaming message: %w", ErrNotFound)
	}
	return nil
}

// Message returns one of the user's messages.
func (s *Store) Message(ctx context.Context, userID, id uuid.UUID) (Message, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return Message{}, fmt.Errorf("message: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+messageColumns+` FROM messages WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return Message{}, fmt.Errorf("message: %w", err)
	}
	m, err := pgx.CollectExactlyOneRow(rows, scanMessage(k))
	if err != nil {
		return Message{}, notFound(err, "message")
	}
	return m, nil
}

// Messages returns every message of every branch of one of the user's
// conversations, oldest first.
func (s *Store) Messages(ctx context.Context, userID, conversationID uuid.UUID) ([]Message, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+messageColumns+` FROM messages WHERE conversation_id = $1 AND user_id = $2 ORDER BY id`, conversationID, userID)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanMessage(k))
	if err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	return list, nil
}

// MessageOutline returns a conversation's messages like Messages, in id
// order, but without their text (Content is ""), which it leaves sealed:
// enough to walk the conversation's branches and pick the turns to show,
// whose text MessageContents then opens.
func (s *Store) MessageOutline(ctx context.Context, userID, conversationID uuid.UUID) ([]Message, error) {
	rows, err := s.db.Query(ctx, `
		SELECT id, conversation_id, user_id, parent_id, role, status, model, error_code, created_at, updated_at
		FROM messages WHERE conversation_id = $1 AND user_id = $2 ORDER BY id`, conversationID, userID)
	if err != nil {
		return nil, fmt.Errorf("message outline: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Message, error) {
		var m Message
		err := row.Scan(&m.ID, &m.ConversationID, &m.UserID, &m.ParentID, &m.Role, &m.Status, &m.Model, &m.ErrorCode, &m.CreatedAt, &m.UpdatedAt)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("message outline: %w", err)
	}
	return list, nil
}

// MessageContents returns the text of those of ids that are messages of
// the user's conversation, by id.
func (s *Store) MessageContents(ctx context.Context, userID, conversationID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("message contents: %w", err)
	}
	rows, err := s.db.Query(ctx, `
		SELECT id, content_sealed FROM messages WHERE conversation_id = $1 AND user_id = $2 AND id = ANY($3)`,
		conversationID, userID, ids)
	if err != nil {
		return nil, fmt.Errorf("message contents: %w", err)
	}
	out := make(map[uuid.UUID]string, len(ids))
	var id uuid.UUID
	var sealed []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &sealed}, func() error {
		text, err := k.open("messages", "content", id, sealed)
		out[id] = text
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("message contents: %w", err)
	}
	return out, nil
}

// InterruptStreaming marks every answer still streaming as interrupted:
// run at start-up, since no process streams them any more.
func (s *Store) InterruptStreaming(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.db.Exec(ctx, `UPDATE messages SET status = 'interrupted', updated_at = $1 WHERE status = 'streaming'`, now)
	if err != nil {
		return 0, fmt.Errorf("interrupt streaming: %w", err)
	}
	return tag.RowsAffected(), nil
}

// indexText stores blind-index tokens for a message (or, with a nil
// message id, a title), replacing what it had.
func (s *Store) indexText(ctx context.Context, userID, conversationID uuid.UUID, messageID *uuid.UUID, text string) error {
	var err error
	if messageID != nil {
		_, err = s.db.Exec(ctx, `DELETE FROM search_docs WHERE message_id = $1`, *messageID)
	} else {
		_, err = s.db.Exec(ctx, `DELETE FROM search_docs WHERE conversation_id = $1 AND message_id IS NULL`, conversationID)
	}
	if err != nil {
		return fmt.Errorf("index text: %w", err)
	}
	return s.insertTokens(ctx, userID, conversationID, messageID, text)
}

// insertTokens adds blind-index tokens for text that has none stored yet.
func (s *Store) insertTokens(ctx context.Context, userID, conversationID uuid.UUID, messageID *uuid.UUID, text string) error {
	tokens := blindindex.Tokens(s.keys.BlindIndexKey(keys.UserID(userID)), text)
	if len(tokens) == 0 {
		return nil
	}
	_, err := s.db.Exec(ctx, `
		INSERT INTO search_docs (conversation_id, user_id, message_id, tokens) VALUES ($1, $2, $3, $4)`,
		conversationID, userID, messageID, tokens)
	if err != nil {
		return fmt.Errorf("insert tokens: %w", err)
	}
	return nil
}

// SearchConversations returns the ids of the user's conversations whose
// title or messages contain every word of query, most recent first.
func (s *Store) SearchConversations(ctx context.Context, userID uuid.UUID, query string, limit int) ([]uuid.UUID, error) {
	tokens := blindindex.QueryTokens(s.keys.BlindIndexKey(keys.UserID(userID)), query)
	if len(tokens) == 0 {
		return nil, nil
	}
	// The GIN index finds the rows with any of the words; a conversation
	// matches when its rows hold all of them between them.
	rows, err := s.db.Query(ctx, `
		SELECT d.conversation_id FROM search_docs d
		CROSS JOIN LATERAL unnest(d.tokens) AS t(token)
		JOIN conversations c ON c.id = d.conversation_id
		WHERE d.tokens && $2::bytea[] AND d.user_id = $1 AND t.token = ANY($2::bytea[])
		GROUP BY d.conversation_id, c.updated_at
		HAVING count(DISTINCT t.token) = $3
		ORDER BY c.updated_at DESC LIMIT $4`, userID, tokens, len(tokens), limit)
	if err != nil {
		return nil, fmt.Errorf("search conversations: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("search conversations: %w", err)
	}
	return ids, nil
}
