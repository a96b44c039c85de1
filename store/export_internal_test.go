package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
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

// SeedChatsForTest bulk-writes conversations, each a chain of messages
// alternating user and assistant, sealed as the store seals them, with
// COPY: a benchmark's large account in seconds. It skips the blind index
// (search is not what such benchmarks measure). content gives message
// i's text; ids are time-ordered like the app's.
func (s *Store) SeedChatsForTest(ctx context.Context, userID uuid.UUID, conversations, perConversation int, content func(i int) string, at time.Time) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return err
	}
	const batch = 500 // conversations per COPY round
	i := 0
	for start := 0; start < conversations; start += batch {
		n := min(batch, conversations-start)
		var convRows, msgRows [][]any
		for c := range n {
			convID, _ := uuid.NewV7()
			title, err := k.seal("conversations", "title", convID, fmt.Sprintf("Conversation %d", start+c))
			if err != nil {
				return err
			}
			var parent *uuid.UUID
			var leaf uuid.UUID
			for m := range perConversation {
				id, _ := uuid.NewV7()
				text := content(i)
				i++
				sealed, err := k.seal("messages", "content", id, text)
				if err != nil {
					return err
				}
				role, model := RoleUser, ""
				if m%2 == 1 {
					role, model = RoleAssistant, "sim-chat"
				}
				when := at.Add(time.Duration(i) * time.Millisecond)
				msgRows = append(msgRows, []any{id, convID, userID, parent, role, sealed, StatusComplete, model, "", int32(len(text)), when, when})
				parent, leaf = &id, id
			}
			convRows = append(convRows, []any{convID, userID, title, "sim-chat", false, false, &leaf, at, at})
		}
		err := s.InTx(ctx, func(tx *Store) error {
			ptx := tx.db.(pgx.Tx)
			if _, err := ptx.CopyFrom(ctx, pgx.Identifier{"conversations"},
				[]string{"id", "user_id", "title_sealed", "model", "pinned", "archived", "current_leaf", "created_at", "updated_at"},
				pgx.CopyFromRows(convRows)); err != nil {
				return fmt.Errorf("seed conversations: %w", err)
			}
			if _, err := ptx.CopyFrom(ctx, pgx.Identifier{"messages"},
				[]string{"id", "conversation_id", "user_id", "parent_id", "role", "content_sealed", "status", "model", "error_code", "content_length", "created_at", "updated_at"},
				pgx.CopyFromRows(msgRows)); err != nil {
				return fmt.Errorf("seed messages: %w", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
