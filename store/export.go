package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// An account export reads one consistent snapshot of the user's rows and
// streams them: each query's rows are unsealed and handed on one at a
// time as they arrive, so memory stays constant however large the account.

// ReadSnapshot runs fn with a Store bound to one read-only REPEATABLE READ
// transaction: everything fn reads belongs to the same moment.
func (s *Store) ReadSnapshot(ctx context.Context, fn func(snap *Store) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		inner := *s
		inner.db = tx
		return fn(&inner)
	})
}

// AccountCounts is how many rows of each kind a user has.
type AccountCounts struct {
	Conversations, Messages, Memories, Collections, Documents, DocumentFiles, Chunks, APIKeys, Passkeys, Connectors int64
}

// Total sums the counts.
func (c AccountCounts) Total() int64 {
	return c.Conversations + c.Messages + c.Memories + c.Collections + c.Documents + c.DocumentFiles + c.Chunks + c.APIKeys + c.Passkeys + c.Connectors
}

// AccountCounts counts the user's rows, cheaply (no unsealing).
func (s *Store) AccountCounts(ctx context.Context, userID uuid.UUID) (AccountCounts, error) {
	var c AccountCounts
	var connectors bool // the table exists (the connectors migration ran)
	err := s.db.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM conversations WHERE user_id = $1),
		       (SELECT count(*) FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE user_id = $1)),
		       (SELECT count(*) FROM memories WHERE user_id = $1),
		       (SELECT count(*) FROM collections WHERE user_id = $1),
		       (SELECT count(*) FROM documents WHERE user_id = $1),
		       (SELECT count(*) FROM document_blobs WHERE user_id = $1),
		       (SELECT count(*) FROM chunks WHERE user_id = $1),
		       (SELECT count(*) FROM api_keys WHERE user_id = $1),
		       (SELECT count(*) FROM passkeys WHERE user_id = $1),
		       to_regclass('connectors') IS NOT NULL`,
		userID).Scan(&c.Conversations, &c.Messages, &c.Memories, &c.Collections, &c.Documents, &c.DocumentFiles, &c.Chunks, &c.APIKeys, &c.Passkeys, &connectors)
	if err != nil {
		return AccountCounts{}, fmt.Errorf("account counts: %w", err)
	}
	if connectors {
		if err := s.db.QueryRow(ctx, `SELECT count(*) FROM connectors WHERE user_id = $1`, userID).Scan(&c.Connectors); err != nil {
			return AccountCounts{}, fmt.Errorf("account counts: %w", err)
		}
	}
	return c, nil
}

// eachRow runs one query and hands each row to fn as it arrives.
func eachRow(ctx context.Context, db querier, what, sql string, args []any, fn func(row pgx.CollectableRow) error) error {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// ConversationsAfter returns up to limit of the user's conversations with
// ids after after (uuid.Nil for the start), in id order: keyset pages.
func (s *Store) ConversationsAfter(ctx context.Context, userID, after uuid.UUID, limit int) ([]Conversation, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("conversations after: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+conversationColumns+` FROM conversations WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3`, userID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("conversations after: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanConversation(k))
	if err != nil {
		return nil, fmt.Errorf("conversations after: %w", err)
	}
	return list, nil
}

// ExportedMessage is a message with what hangs off it: the verdict on an
// answer, the signed text of an API completion, the memories it was given.
type ExportedMessage struct {
	Message
	Verification *AnswerVerification
	SignedText   string
	MemoryIDs    []uuid.UUID
}

// EachConversationMessages streams every message of the given
// conversations of the user, conversation by conversation in the order of
// ids, each conversation's messages in id order. The queries go in one
// round trip and their rows are read one at a time.
func (s *Store) EachConversationMessages(ctx context.Context, userID uuid.UUID, conversationIDs []uuid.UUID, fn func(ExportedMessage) error) error {
	if len(conversationIDs) == 0 {
		return nil
	}
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("export messages: %w", err)
	}
	b := &pgx.Batch{}
	for _, id := range conversationIDs {
		b.Queue(`
			SELECT m.id, m.conversation_id, m.user_id, m.parent_id, m.role, m.content_sealed, m.status, m.model, m.error_code,
			       m.created_at, m.updated_at, m.verification_sealed, cs.text_sealed,
			       ARRAY(SELECT mm.memory_id FROM message_memories mm WHERE mm.message_id = m.id ORDER BY mm.memory_id)
			FROM messages m LEFT JOIN completion_signatures cs ON cs.message_id = m.id
			WHERE m.conversation_id = $1 AND m.user_id = $2 ORDER BY m.id`, id, userID)
	}
	results := s.db.SendBatch(ctx, b)
	defer results.Close()
	for range conversationIDs {
		rows, err := results.Query()
		if err != nil {
			return fmt.Errorf("export messages: %w", err)
		}
		err = func() error {
			defer rows.Close()
			for rows.Next() {
				var m ExportedMessage
				var content, verification, signed []byte
				if err := rows.Scan(&m.ID, &m.ConversationID, &m.UserID, &m.ParentID, &m.Role, &content, &m.Status, &m.Model, &m.ErrorCode,
					&m.CreatedAt, &m.UpdatedAt, &verification, &signed, &m.MemoryIDs); err != nil {
					return fmt.Errorf("export messages: %w", err)
				}
				if m.Content, err = k.open("messages", "content", m.ID, content); err != nil {
					return err
				}
				if verification != nil {
					v, err := openVerification(k, m.ID, verification)
					if err != nil {
						return err
					}
					m.Verification = &v
				}
				if signed != nil {
					if m.SignedText, err = k.open("completion_signatures", "text", m.ID, signed); err != nil {
						return err
					}
				}
				if err := fn(m); err != nil {
					return err
				}
			}
			return rows.Err()
		}()
		if err != nil {
			return err
		}
	}
	return results.Close()
}

// EachMemory streams the user's memories in id order.
func (s *Store) EachMemory(ctx context.Context, userID uuid.UUID, fn func(Memory) error) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("export memories: %w", err)
	}
	return eachRow(ctx, s.db, "export memories", `SELECT `+memoryColumns+` FROM memories WHERE user_id = $1 ORDER BY id`, []any{userID},
		func(row pgx.CollectableRow) error {
			m, err := scanMemory(k, row, nil)
			if err != nil {
				return err
			}
			return fn(m)
		})
}

// ExportedDocument is a document and whether its uploaded file is still
// kept (it is dropped once the document is ingested).
type ExportedDocument struct {
	Document
	HasFile bool
}

// EachDocument streams the user's documents in id order.
func (s *Store) EachDocument(ctx context.Context, userID uuid.UUID, fn func(ExportedDocument) error) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("export documents: %w", err)
	}
	scan := scanDocument(k)
	return eachRow(ctx, s.db, "export documents", `
		SELECT `+documentColumns+`, EXISTS (SELECT 1 FROM document_blobs b WHERE b.document_id = documents.id)
		FROM documents WHERE user_id = $1 ORDER BY id`, []any{userID},
		func(row pgx.CollectableRow) error {
			var d ExportedDocument
			var err error
			// scanDocument reads the document columns; the flag is last.
			d.Document, err = scan(withTail(row, &d.HasFile))
			if err != nil {
				return err
			}
			return fn(d)
		})
}

// EachDocumentFile streams the uploaded files the user's documents still
// keep, one at a time, in document id order.
func (s *Store) EachDocumentFile(ctx context.Context, userID uuid.UUID, fn func(documentID uuid.UUID, content []byte) error) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("export document files: %w", err)
	}
	return eachRow(ctx, s.db, "export document files", `
		SELECT document_id, content_sealed FROM document_blobs WHERE user_id = $1 ORDER BY document_id`, []any{userID},
		func(row pgx.CollectableRow) error {
			var id uuid.UUID
			var sealed []byte
			if err := row.Scan(&id, &sealed); err != nil {
				return fmt.Errorf("export document files: %w", err)
			}
			content, err := k.open("document_blobs", "content", id, sealed)
			if err != nil {
				return err
			}
			return fn(id, []byte(content))
		})
}

// EachChunk streams the passages of the user's ingested documents, by
// document id and then in document order.
func (s *Store) EachChunk(ctx context.Context, userID uuid.UUID, fn func(Chunk) error) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("export chunks: %w", err)
	}
	return eachRow(ctx, s.db, "export chunks", `
		SELECT id, document_id, ordinal, heading_sealed, text_sealed FROM chunks WHERE user_id = $1 ORDER BY document_id, ordinal`, []any{userID},
		func(row pgx.CollectableRow) error {
			var c Chunk
			var heading, text []byte
			if err := row.Scan(&c.ID, &c.DocumentID, &c.Ordinal, &heading, &text); err != nil {
				return fmt.Errorf("export chunks: %w", err)
			}
			var err error
			if c.Heading, err = k.open("chunks", "heading", c.ID, heading); err != nil {
				return err
			}
			if c.Text, err = k.open("chunks", "text", c.ID, text); err != nil {
				return err
			}
			return fn(c)
		})
}

// ExportedConnector is a connected account with its settings as JSON,
// credentials included.
type ExportedConnector struct {
	ID        uuid.UUID
	Kind      string
	Name      string
	Settings  json.RawMessage
	CreatedAt time.Time
}

// ExportConnectors lists the user's connectors, oldest first; none where
// this database has no connectors table yet.
func (s *Store) ExportConnectors(ctx context.Context, userID uuid.UUID) ([]ExportedConnector, error) {
	var present bool
	if err := s.db.QueryRow(ctx, `SELECT to_regclass('connectors') IS NOT NULL`).Scan(&present); err != nil {
		return nil, fmt.Errorf("export connectors: %w", err)
	}
	if !present {
		return nil, nil
	}
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("export connectors: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT id, kind, name_sealed, settings_sealed, created_at FROM connectors WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("export connectors: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ExportedConnector, error) {
		var c ExportedConnector
		var name, settings []byte
		if err := row.Scan(&c.ID, &c.Kind, &name, &settings, &c.CreatedAt); err != nil {
			return c, err
		}
		var err error
		if c.Name, err = k.open("connectors", "name", c.ID, name); err != nil {
			return c, err
		}
		plain, err := k.open("connectors", "settings", c.ID, settings)
		c.Settings = json.RawMessage(plain)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("export connectors: %w", err)
	}
	return list, nil
}

// SettingsUpdatedAt returns when the user's settings last changed; zero
// when never.
func (s *Store) SettingsUpdatedAt(ctx context.Context, userID uuid.UUID) (time.Time, error) {
	var at time.Time
	err := s.db.QueryRow(ctx, `SELECT updated_at FROM user_settings WHERE user_id = $1`, userID).Scan(&at)
	if err == pgx.ErrNoRows {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("settings updated at: %w", err)
	}
	return at, nil
}

// tailRow scans a row whose last columns go to extra targets after those
// the wrapped scan asks for.
type tailRow struct {
	pgx.CollectableRow
	tail []any
}

func withTail(row pgx.CollectableRow, tail ...any) tailRow { return tailRow{row, tail} }

func (r tailRow) Scan(dest ...any) error { return r.CollectableRow.Scan(append(dest, r.tail...)...) }
