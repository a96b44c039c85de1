package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Document states: uploaded and waiting, being extracted and embedded,
// searchable, or refused with a message for its owner.
const (
	DocumentQueued     = "queued"
	DocumentProcessing = "processing"
	DocumentReady      = "ready"
	DocumentFailed     = "failed"
)

// Document is an uploaded file. Its name and error text are sealed; its
// kind, size, state and progress are not.
type Document struct {
	ID          uuid.UUID
	UserID      uuid.UUID
	JobID       *uuid.UUID
	Name        string
	Kind        string // pdf, docx, html, markdown, text, csv
	Size        int64
	Status      string
	ErrorCode   string // why it failed, for programs (not sealed: one of a fixed set)
	Error       string // why it failed, for its owner
	ChunksTotal int
	ChunksDone  int // embedded so far; the chunks are stored all at once at the end
	// CollectionID is the collection the document is in, if any.
	CollectionID *uuid.UUID
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// NewDocument is a document to store with the file it came from.
type NewDocument struct {
	Document
	Content []byte
}

const documentColumns = `id, user_id, job_id, name_sealed, kind, size_bytes, status, error_code, error_sealed, chunks_total, chunks_done, collection_id, created_at, updated_at`

func scanDocument(k userKey) pgx.RowToFunc[Document] {
	return func(row pgx.CollectableRow) (Document, error) {
		var d Document
		var name, errText []byte
		if err := row.Scan(&d.ID, &d.UserID, &d.JobID, &name, &d.Kind, &d.Size, &d.Status, &d.ErrorCode, &errText, &d.ChunksTotal, &d.ChunksDone, &d.CollectionID, &d.CreatedAt, &d.UpdatedAt); err != nil {
			return Document{}, err
		}
		var err error
		if d.Name, err = k.open("documents", "name", d.ID, name); err != nil {
			return Document{}, err
		}
		if errText != nil {
			if d.Error, err = k.open("documents", "error", d.ID, errText); err != nil {
				return Document{}, err
			}
		}
		return d, nil
	}
}

// TxHook runs inside a store transaction, so work queued there (River jobs)
// commits or rolls back with the rows.
type TxHook func(ctx context.Context, tx pgx.Tx) error

// CreateIngestJob stores an upload batch: a job, its documents as queued and
// their files sealed, then runs enqueue in the same transaction.
func (s *Store) CreateIngestJob(ctx context.Context, userID, jobID uuid.UUID, docs []NewDocument, now time.Time, enqueue TxHook) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("create ingest job: %w", err)
	}
	return s.InTx(ctx, func(tx *Store) error {
		if _, err := tx.db.Exec(ctx, `INSERT INTO jobs (id, user_id, kind, created_at) VALUES ($1, $2, 'ingest', $3)`, jobID, userID, now); err != nil {
			return fmt.Errorf("create ingest job: %w", err)
		}
		for _, d := range docs {
			name, err := k.seal("documents", "name", d.ID, d.Name)
			if err != nil {
				return err
			}
			content, err := k.seal("document_blobs", "content", d.ID, string(d.Content))
			if err != nil {
				return err
			}
			_, err = tx.db.Exec(ctx, `
				INSERT INTO documents (id, user_id, job_id, name_sealed, kind, size_bytes, status, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $7)`, d.ID, userID, jobID, name, d.Kind, len(d.Content), now)
			if err != nil {
				return fmt.Errorf("create document: %w", err)
			}
			if _, err := tx.db.Exec(ctx, `INSERT INTO document_blobs (document_id, user_id, content_sealed) VALUES ($1, $2, $3)`, d.ID, userID, content); err != nil {
				return fmt.Errorf("store document file: %w", err)
			}
		}
		if enqueue == nil {
			return nil
		}
		pgxTx, ok := tx.db.(pgx.Tx)
		if !ok {
			return fmt.Errorf("create ingest job: not in a transaction")
		}
		return enqueue(ctx, pgxTx)
	})
}

// Document returns one of the user's documents; another user's id gives
// ErrNotFound.
func (s *Store) Document(ctx context.Context, userID, id uuid.UUID) (Document, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return Document{}, fmt.Errorf("document: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+documentColumns+` FROM documents WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return Document{}, fmt.Errorf("document: %w", err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDocument(k))
	if err != nil {
		return Document{}, notFound(err, "document")
	}
	return d, nil
}

// DocumentsByIDs returns those of ids that are the user's documents, in
// one query, keyed by id.
func (s *Store) DocumentsByIDs(ctx context.Context, userID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]Document, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("documents by ids: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+documentColumns+` FROM documents WHERE user_id = $1 AND id = ANY($2)`, userID, ids)
	if err != nil {
		return nil, fmt.Errorf("documents by ids: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanDocument(k))
	if err != nil {
		return nil, fmt.Errorf("documents by ids: %w", err)
	}
	out := make(map[uuid.UUID]Document, len(list))
	for _, d := range list {
		out[d.ID] = d
	}
	return out, nil
}

// DocumentPage is one page of the user's documents.
type DocumentPage struct {
	Items []Document
	Next  string // cursor of the next page; "" at the end
}

// ListDocuments lists the user's documents, newest first, from cursor (""
// for the start).
func (s *Store) ListDocuments(ctx context.Context, userID uuid.UUID, cursor string, limit int) (DocumentPage, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return DocumentPage{}, fmt.Errorf("list documents: %w", err)
	}
	_, at, after, err := decodeCursor(cursor)
	if err != nil {
		return DocumentPage{}, err
	}
	rows, err := s.db.Query(ctx, `
		SELECT `+documentColumns+` FROM documents
		WHERE user_id = $1 AND (created_at, id) < ($2, $3)
		ORDER BY created_at DESC, id DESC LIMIT $4`, userID, at, after, limit+1)
	if err != nil {
		return DocumentPage{}, fmt.Errorf("list documents: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanDocument(k))
	if err != nil {
		return DocumentPage{}, fmt.Errorf("list documents: %w", err)
	}
	page := DocumentPage{Items: list}
	if len(list) > limit {
		page.Items = list[:limit]
		last := page.Items[limit-1]
		page.Next = encodeCursor(false, last.CreatedAt, last.ID)
	}
	return page, nil
}

// DeleteDocument removes one of the user's documents with its file, chunks,
// vectors and tokens.
func (s *Store) DeleteDocument(ctx context.Context, userID, id uuid.UUID) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM documents WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return fmt.Errorf("delete document: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete document: %w", ErrNotFound)
	}
	return nil
}

// DocumentContent returns the uploaded file of a document still waiting
// for ingestion, and marks the document as processing. A document whose
// file is gone (ingested, failed or deleted) gives ErrNotFound.
func (s *Store) DocumentContent(ctx context.Context, userID, id uuid.UUID, now time.Time) ([]byte, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("document content: %w", err)
	}
	var sealed []byte
	err = s.InTx(ctx, func(tx *Store) error {
		err := tx.db.QueryRow(ctx, `SELECT content_sealed FROM document_blobs WHERE document_id = $1 AND user_id = $2`, id, userID).Scan(&sealed)
		if err != nil {
			return notFound(err, "document content")
		}
		_, err = tx.db.Exec(ctx, `UPDATE documents SET status = 'processing', chunks_done = 0, updated_at = $3 WHERE id = $1 AND user_id = $2`, id, userID, now)
		if err != nil {
			return fmt.Errorf("document content: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	content, err := k.open("document_blobs", "content", id, sealed)
	if err != nil {
		return nil, err
	}
	return []byte(content), nil
}

// SetDocumentProgress records how many of a document's chunks are embedded.
func (s *Store) SetDocumentProgress(ctx context.Context, userID, id uuid.UUID, done, total int, now time.Time) error {
	_, err := s.db.Exec(ctx, `UPDATE documents SET chunks_done = $3, chunks_total = $4, updated_at = $5 WHERE id = $1 AND user_id = $2`, id, userID, done, total, now)
	if err != nil {
		return fmt.Errorf("document progress: %w", err)
	}
	return nil
}

// FailDocument marks a document as failed with a message for its owner,
// and drops its file and any chunks: a failed file leaves nothing behind.
func (s *Store) FailDocument(ctx context.Context, userID, id uuid.UUID, code, message string, now time.Time) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("fail document: %w", err)
	}
	sealed, err := k.seal("documents", "error", id, message)
	if err != nil {
		return err
	}
	return s.InTx(ctx, func(tx *Store) error {
		tag, err := tx.db.Exec(ctx, `UPDATE documents SET status = 'failed', error_code = $5, error_sealed = $3, chunks_done = 0, chunks_total = 0, updated_at = $4 WHERE id = $1 AND user_id = $2`, id, userID, sealed, now, code)
		if err != nil {
			return fmt.Errorf("fail document: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("fail document: %w", ErrNotFound)
		}
		for _, q := range []string{`DELETE FROM chunks WHERE document_id = $1`, `DELETE FROM document_blobs WHERE document_id = $1`} {
			if _, err := tx.db.Exec(ctx, q, id); err != nil {
				return fmt.Errorf("fail document: %w", err)
			}
		}
		return nil
	})
}

// Job is a batch of background work and the documents it covers.
type Job struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	Kind      string
	CreatedAt time.Time
	Documents []Document
}

// Job returns one of the user's jobs with its documents, oldest first.
func (s *Store) Job(ctx context.Context, userID, id uuid.UUID) (Job, error) {
	j := Job{ID: id, UserID: userID}
	err := s.db.QueryRow(ctx, `SELECT kind, created_at FROM jobs WHERE id = $1 AND user_id = $2`, id, userID).Scan(&j.Kind, &j.CreatedAt)
	if err != nil {
		return Job{}, notFound(err, "job")
	}
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return Job{}, fmt.Errorf("job: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+documentColumns+` FROM documents WHERE job_id = $1 AND user_id = $2 ORDER BY created_at, id`, id, userID)
	if err != nil {
		return Job{}, fmt.Errorf("job: %w", err)
	}
	if j.Documents, err = pgx.CollectRows(rows, scanDocument(k)); err != nil {
		return Job{}, fmt.Errorf("job: %w", err)
	}
	return j, nil
}
