package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"confidant/enclave/blindindex"
	"confidant/enclave/keys"
)

// ImportRef names one thing an import brought in, in its source's terms:
// a conversation's id, or a message's id within its conversation (Scope).
type ImportRef struct {
	Source     string // the format: chatgpt, claude, openwebui, confidant
	Kind       string // conversation, message, memory, collection, document
	Scope      string // e.g. the conversation a message belongs to
	ExternalID string
}

// importItemKey is a keyed hash of ref under a per-user key derived from
// the user's blind-index key: equal refs match, and the database never
// sees an external id.
func (s *Store) importItemKey(userID uuid.UUID, ref ImportRef) []byte {
	derive := hmac.New(sha256.New, s.keys.BlindIndexKey(keys.UserID(userID)))
	derive.Write([]byte("confidant import items v1"))
	mac := hmac.New(sha256.New, derive.Sum(nil))
	for _, part := range []string{ref.Source, ref.Kind, ref.Scope, ref.ExternalID} {
		fmt.Fprintf(mac, "%d:%s", len(part), part)
	}
	return mac.Sum(nil)
}

// ImportedIDs returns the local ids of those refs imported before whose
// local record still exists (a conversation deleted since comes back when
// imported again).
func (s *Store) ImportedIDs(ctx context.Context, userID uuid.UUID, refs []ImportRef) (map[ImportRef]uuid.UUID, error) {
	out := map[ImportRef]uuid.UUID{}
	if len(refs) == 0 {
		return out, nil
	}
	byKey := make(map[string]ImportRef, len(refs))
	itemKeys := make([][]byte, len(refs))
	for i, r := range refs {
		itemKeys[i] = s.importItemKey(userID, r)
		byKey[string(itemKeys[i])] = r
	}
	rows, err := s.db.Query(ctx, `
		SELECT i.item_key, i.local_id FROM import_items i
		WHERE i.user_id = $1 AND i.item_key = ANY($2) AND CASE i.kind
			WHEN 'conversation' THEN EXISTS (SELECT 1 FROM conversations c WHERE c.id = i.local_id)
			WHEN 'message' THEN EXISTS (SELECT 1 FROM messages m WHERE m.id = i.local_id)
			WHEN 'memory' THEN EXISTS (SELECT 1 FROM memories m WHERE m.id = i.local_id)
			WHEN 'collection' THEN EXISTS (SELECT 1 FROM collections c WHERE c.id = i.local_id)
			WHEN 'document' THEN EXISTS (SELECT 1 FROM documents d WHERE d.id = i.local_id)
			ELSE true END`, userID, itemKeys)
	if err != nil {
		return nil, fmt.Errorf("imported ids: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key []byte
		var id uuid.UUID
		if err := rows.Scan(&key, &id); err != nil {
			return nil, fmt.Errorf("imported ids: %w", err)
		}
		out[byKey[string(key)]] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("imported ids: %w", err)
	}
	return out, nil
}

// ImportItem records that ref became the local record LocalID.
type ImportItem struct {
	Ref     ImportRef
	LocalID uuid.UUID
}

// ConversationTip moves an existing conversation's branch on show, when an
// import added messages to it.
type ConversationTip struct {
	ConversationID uuid.UUID
	Leaf           *uuid.UUID
	UpdatedAt      time.Time
}

// ImportBatch is what one transaction of an import writes: new
// conversations, new messages (each parent before its children), tips of
// conversations that grew, and the items that remember all of it.
type ImportBatch struct {
	Conversations []Conversation
	Messages      []Message
	Tips          []ConversationTip
	Items         []ImportItem
}

// ImportProgress is committed with a batch, so an import cut off resumes
// exactly where its last batch ended.
type ImportProgress struct {
	ImportID uuid.UUID
	Position int
	Counts   ImportCounts
}

// WriteImportBatch writes a batch in one transaction, with the import's
// progress when progress is not nil. Messages are indexed for search;
// titles too.
func (s *Store) WriteImportBatch(ctx context.Context, userID uuid.UUID, b ImportBatch, progress *ImportProgress) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("write import batch: %w", err)
	}
	indexKey := s.keys.BlindIndexKey(keys.UserID(userID))
	var convRows, msgRows, docRows [][]any
	for _, c := range b.Conversations {
		var title []byte
		if c.Title != "" {
			if title, err = k.seal("conversations", "title", c.ID, c.Title); err != nil {
				return err
			}
			if tokens := blindindex.Tokens(indexKey, c.Title); len(tokens) > 0 {
				docRows = append(docRows, []any{c.ID, userID, nil, tokens})
			}
		}
		convRows = append(convRows, []any{c.ID, userID, title, c.Model, c.Pinned, c.Archived, c.CurrentLeaf, c.Temporary, c.Documents, c.CreatedAt, c.UpdatedAt})
	}
	for _, m := range b.Messages {
		content, err := k.seal("messages", "content", m.ID, m.Content)
		if err != nil {
			return err
		}
		status := m.Status
		if status == "" {
			status = StatusComplete
		}
		msgRows = append(msgRows, []any{m.ID, m.ConversationID, userID, m.ParentID, m.Role, content, status, m.Model, m.ErrorCode, int32(len(m.Content)), m.CreatedAt, m.CreatedAt})
		if tokens := blindindex.Tokens(indexKey, m.Content); len(tokens) > 0 {
			docRows = append(docRows, []any{m.ConversationID, userID, m.ID, tokens})
		}
	}
	itemKeys := make([][]byte, len(b.Items))
	kinds := make([]string, len(b.Items))
	ids := make([]uuid.UUID, len(b.Items))
	for i, it := range b.Items {
		itemKeys[i], kinds[i], ids[i] = s.importItemKey(userID, it.Ref), it.Ref.Kind, it.LocalID
	}
	return s.InTx(ctx, func(tx *Store) error {
		ptx, ok := tx.db.(pgx.Tx)
		if !ok {
			return fmt.Errorf("write import batch: not in a transaction")
		}
		copies := []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"conversations", []string{"id", "user_id", "title_sealed", "model", "pinned", "archived", "current_leaf", "temporary", "documents", "created_at", "updated_at"}, convRows},
			{"messages", []string{"id", "conversation_id", "user_id", "parent_id", "role", "content_sealed", "status", "model", "error_code", "content_length", "created_at", "updated_at"}, msgRows},
			{"search_docs", []string{"conversation_id", "user_id", "message_id", "tokens"}, docRows},
		}
		for _, c := range copies {
			if len(c.rows) == 0 {
				continue
			}
			if _, err := ptx.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, pgx.CopyFromRows(c.rows)); err != nil {
				return fmt.Errorf("write import batch: %s: %w", c.table, err)
			}
		}
		for _, t := range b.Tips {
			if _, err := tx.db.Exec(ctx, `
				UPDATE conversations SET current_leaf = $3, updated_at = GREATEST(updated_at, $4)
				WHERE id = $1 AND user_id = $2`, t.ConversationID, userID, t.Leaf, t.UpdatedAt); err != nil {
				return fmt.Errorf("write import batch: %w", err)
			}
		}
		if len(b.Items) > 0 {
			if _, err := tx.db.Exec(ctx, `
				INSERT INTO import_items (user_id, item_key, kind, local_id)
				SELECT $1, t.k, t.kind, t.id FROM unnest($2::bytea[], $3::text[], $4::uuid[]) AS t(k, kind, id)
				ON CONFLICT (user_id, item_key) DO UPDATE SET kind = EXCLUDED.kind, local_id = EXCLUDED.local_id`,
				userID, itemKeys, kinds, ids); err != nil {
				return fmt.Errorf("write import batch: items: %w", err)
			}
		}
		if progress != nil {
			counts, err := json.Marshal(progress.Counts)
			if err != nil {
				return err
			}
			tag, err := tx.db.Exec(ctx, `UPDATE imports SET position = $3, counts = $4 WHERE id = $1 AND user_id = $2 AND state = 'running'`,
				progress.ImportID, userID, progress.Position, counts)
			if err != nil {
				return fmt.Errorf("write import batch: progress: %w", err)
			}
			if tag.RowsAffected() == 0 {
				return fmt.Errorf("write import batch: import not running: %w", ErrNotFound)
			}
		}
		return nil
	})
}

// RecordImportItems remembers items imported outside WriteImportBatch
// (memories, collections, documents); call it in the transaction that
// created them (InTx), so a crash never leaves one unremembered.
func (s *Store) RecordImportItems(ctx context.Context, userID uuid.UUID, items []ImportItem) error {
	if len(items) == 0 {
		return nil
	}
	itemKeys := make([][]byte, len(items))
	kinds := make([]string, len(items))
	ids := make([]uuid.UUID, len(items))
	for i, it := range items {
		itemKeys[i], kinds[i], ids[i] = s.importItemKey(userID, it.Ref), it.Ref.Kind, it.LocalID
	}
	if _, err := s.db.Exec(ctx, `
		INSERT INTO import_items (user_id, item_key, kind, local_id)
		SELECT $1, t.k, t.kind, t.id FROM unnest($2::bytea[], $3::text[], $4::uuid[]) AS t(k, kind, id)
		ON CONFLICT (user_id, item_key) DO UPDATE SET kind = EXCLUDED.kind, local_id = EXCLUDED.local_id`,
		userID, itemKeys, kinds, ids); err != nil {
		return fmt.Errorf("record import items: %w", err)
	}
	return nil
}
