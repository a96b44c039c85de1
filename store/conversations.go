package store

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"confidant/enclave/blindindex"
	"confidant/enclave/keys"
)

// Conversation is one chat. Its title is sealed; "" means not titled yet.
type Conversation struct {
	ID          uuid.UUID
	UserID      uuid.UUID
	Title       string
	Model       string
	Pinned      bool
	Archived    bool
	CurrentLeaf *uuid.UUID // the message at the tip of the branch on show
	Temporary   bool       // neither reads nor writes memory
	Documents   string     // answers from the user's documents: "" none, "all", or a document id
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

const conversationColumns = `id, user_id, title_sealed, model, pinned, archived, current_leaf, temporary, documents, created_at, updated_at`

func scanConversation(k userKey) pgx.RowToFunc[Conversation] {
	return func(row pgx.CollectableRow) (Conversation, error) {
		var c Conversation
		var title []byte
		if err := row.Scan(&c.ID, &c.UserID, &title, &c.Model, &c.Pinned, &c.Archived, &c.CurrentLeaf, &c.Temporary, &c.Documents, &c.CreatedAt, &c.UpdatedAt); err != nil {
			return Conversation{}, err
		}
		if title != nil {
			var err error
			if c.Title, err = k.open("conversations", "title", c.ID, title); err != nil {
				return Conversation{}, err
			}
		}
		return c, nil
	}
}

// CreateConversation stores a new conversation for its user.
func (s *Store) CreateConversation(ctx context.Context, c Conversation) error {
	b := &pgx.Batch{}
	if err := s.queueCreateConversation(ctx, b, c, c.CreatedAt); err != nil {
		return fmt.Errorf("create conversation: %w", err)
	}
	if err := s.db.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("create conversation: %w", err)
	}
	return nil
}

// queueCreateConversation adds to b the statements that store a new
// conversation (and index its title, if it has one), last updated at
// updatedAt. Every way of creating a conversation goes through here.
func (s *Store) queueCreateConversation(ctx context.Context, b *pgx.Batch, c Conversation, updatedAt time.Time) error {
	k, err := s.keyFor(ctx, c.UserID)
	if err != nil {
		return err
	}
	var title []byte
	if c.Title != "" {
		if title, err = k.seal("conversations", "title", c.ID, c.Title); err != nil {
			return err
		}
	}
	b.Queue(`
		INSERT INTO conversations (id, user_id, title_sealed, model, pinned, archived, current_leaf, temporary, documents, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		c.ID, c.UserID, title, c.Model, c.Pinned, c.Archived, c.CurrentLeaf, c.Temporary, c.Documents, c.CreatedAt, updatedAt)
	if tokens := blindindex.Tokens(k.index, c.Title); len(tokens) > 0 {
		b.Queue(`INSERT INTO search_docs (conversation_id, user_id, message_id, tokens) VALUES ($1, $2, NULL, $3)`, c.ID, c.UserID, tokens)
	}
	return nil
}

// Conversation returns one of the user's conversations; another user's id
// gives ErrNotFound.
func (s *Store) Conversation(ctx context.Context, userID, id uuid.UUID) (Conversation, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return Conversation{}, fmt.Errorf("conversation: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+conversationColumns+` FROM conversations WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return Conversation{}, fmt.Errorf("conversation: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanConversation(k))
	if err != nil {
		return Conversation{}, notFound(err, "conversation")
	}
	return c, nil
}

// ConversationsByIDs returns those of ids that are the user's
// conversations, in the order of ids, in one query.
func (s *Store) ConversationsByIDs(ctx context.Context, userID uuid.UUID, ids []uuid.UUID) ([]Conversation, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("conversations by ids: %w", err)
	}
	rows, err := s.db.Query(ctx, `
		SELECT `+conversationColumns+` FROM conversations c
		JOIN unnest($2::uuid[]) WITH ORDINALITY AS wanted(id, n) USING (id)
		WHERE c.user_id = $1 ORDER BY wanted.n`, userID, ids)
	if err != nil {
		return nil, fmt.Errorf("conversations by ids: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanConversation(k))
	if err != nil {
		return nil, fmt.Errorf("conversations by ids: %w", err)
	}
	return list, nil
}

// ConversationPage is one page of a keyset-paginated list.
type ConversationPage struct {
	Items []Conversation
	Next  string // cursor of the next page; "" at the end
}

// ListConversations lists the user's conversations, pinned ones first, then
// most recently updated first, archived or not, from cursor ("" for the start).
func (s *Store) ListConversations(ctx context.Context, userID uuid.UUID, archived bool, cursor string, limit int) (ConversationPage, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return ConversationPage{}, fmt.Errorf("list conversations: %w", err)
	}
	pinned, at, after, err := decodeCursor(cursor)
	if err != nil {
		return ConversationPage{}, err
	}
	rows, err := s.db.Query(ctx, `
		SELECT `+conversationColumns+` FROM conversations
		WHERE user_id = $1 AND archived = $2
		  AND (($3 AND NOT pinned) OR (pinned = $3 AND (updated_at, id) < ($4, $5)))
		ORDER BY pinned DESC, updated_at DESC, id DESC LIMIT $6`, userID, archived, pinned, at, after, limit+1)
	if err != nil {
		return ConversationPage{}, fmt.Errorf("list conversations: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanConversation(k))
	if err != nil {
		return ConversationPage{}, fmt.Errorf("list conversations: %w", err)
	}
	page := ConversationPage{Items: list}
	if len(list) > limit {
		page.Items = list[:limit]
		last := page.Items[limit-1]
		page.Next = encodeCursor(last.Pinned, last.UpdatedAt, last.ID)
	}
	return page, nil
}

// ErrBadCursor means a pagination cursor was not one we issued.
var ErrBadCursor = fmt.Errorf("store: invalid cursor")

// encodeCursor packs a keyset position into an opaque string.
func encodeCursor(pinned bool, at time.Time, id uuid.UUID) string {
	b := []byte{0}
	if pinned {
		b[0] = 1
	}
	b = binary.BigEndian.AppendUint64(b, uint64(at.UnixMicro()))
	return base64.RawURLEncoding.EncodeToString(append(b, id[:]...))
}

// decodeCursor unpacks a cursor; "" means the start of the list, which is
// "after" a pinned row later than any.
func decodeCursor(s string) (bool, time.Time, uuid.UUID, error) {
	if s == "" {
		return true, time.Unix(1<<40, 0), uuid.Max, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 25 || b[0] > 1 {
		return false, time.Time{}, uuid.Nil, ErrBadCursor
	}
	id, _ := uuid.FromBytes(b[9:])
	return b[0] == 1, time.UnixMicro(int64(binary.BigEndian.Uint64(b[1:9]))), id, nil
}

// ConversationUpdate changes some of a conversation's settings; nil fields
// stay as they are.
type ConversationUpdate struct {
	Title         *string
	OnlyIfNoTitle bool // set Title only when there is none (automatic titles)
	// TitleFrom, when not "", is text the conversation's messages hold
	// and so the search index has: a Title made of its words only gets no
	// search entry of its own (a title taken from the first message).
	TitleFrom   string
	Model       *string
	Pinned      *bool
	Archived    *bool
	CurrentLeaf *uuid.UUID
	Touch       bool // move it to the top of the list
}

// UpdateConversation applies u to one of the user's conversations.
func (s *Store) UpdateConversation(ctx context.Context, userID, id uuid.UUID, u ConversationUpdate, now time.Time) error {
	var title []byte
	if u.Title != nil {
		k, err := s.keyFor(ctx, userID)
		if err != nil {
			return fmt.Errorf("update conversation: %w", err)
		}
		if title, err = k.seal("conversations", "title", id, *u.Title); err != nil {
			return err
		}
	}
	return s.updateConversation(ctx, userID, id, u, title, now)
}

// updateConversation applies u in one round trip to the database (an
// implicit transaction when not in one).
func (s *Store) updateConversation(ctx context.Context, userID, id uuid.UUID, u ConversationUpdate, title []byte, now time.Time) error {
	b := &pgx.Batch{}
	updated := s.queueUpdateConversation(b, userID, id, u, title, now)
	if err := s.db.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("update conversation: %w", err)
	}
	if !*updated {
		return fmt.Errorf("update conversation: %w", ErrNotFound)
	}
	return nil
}

// queueUpdateConversation adds the statements that apply u to b. A title
// that was set replaces the title's search tokens; the sealed title, unique
// by its nonce, tells whether it was set. What it returns tells, once b has
// run, whether the conversation was there to update.
func (s *Store) queueUpdateConversation(b *pgx.Batch, userID, id uuid.UUID, u ConversationUpdate, title []byte, now time.Time) *bool {
	updated := new(bool)
	b.Queue(`
		UPDATE conversations SET
			title_sealed = CASE WHEN $3::bytea IS NULL OR ($10 AND title_sealed IS NOT NULL) THEN title_sealed ELSE $3 END,
			model = coalesce($4, model),
			pinned = coalesce($5, pinned),
			archived = coalesce($6, archived),
			current_leaf = coalesce($7, current_leaf),
			updated_at = CASE WHEN $8 THEN $9 ELSE updated_at END
		WHERE id = $1 AND user_id = $2`,
		id, userID, title, u.Model, u.Pinned, u.Archived, u.CurrentLeaf, u.Touch, now, u.OnlyIfNoTitle).Exec(func(tag pgconn.CommandTag) error {
		*updated = tag.RowsAffected() > 0
		return nil
	})
	if title != nil {
		const titleSet = `EXISTS (SELECT 1 FROM conversations c WHERE c.id = $1 AND c.user_id = $2 AND c.title_sealed = $3)`
		tokens := blindindex.Tokens(s.keys.BlindIndexKey(keys.UserID(userID)), *u.Title)
		if u.TitleFrom != "" && wordsWithin(*u.Title, u.TitleFrom) {
			tokens = nil // found through its message already
		}
		if len(tokens) > 0 {
			b.Queue(`
				INSERT INTO search_docs (conversation_id, user_id, message_id, tokens)
				SELECT $1, $2, NULL, $4::bytea[] WHERE `+titleSet+`
				ON CONFLICT (conversation_id) WHERE message_id IS NULL DO UPDATE SET tokens = EXCLUDED.tokens`, id, userID, title, tokens)
		} else {
			b.Queue(`DELETE FROM search_docs WHERE conversation_id = $1 AND message_id IS NULL AND `+titleSet, id, userID, title)
		}
	}
	return updated
}

// wordsWithin reports whether every search word of text is a word of
// within.
func wordsWithin(text, within string) bool {
	have := map[string]bool{}
	for _, w := range blindindex.Words(within) {
		have[w] = true
	}
	for _, w := range blindindex.Words(text) {
		if !have[w] {
			return false
		}
	}
	return true
}

// DeleteConversation removes one of the user's conversations and its messages.
func (s *Store) DeleteConversation(ctx context.Context, userID, id uuid.UUID) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM conversations WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return fmt.Errorf("delete conversation: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete conversation: %w", ErrNotFound)
	}
	return nil
}
