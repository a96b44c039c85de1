package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Import states, as GET /api/jobs/{id} reports them.
const (
	ImportQueued  = "queued"
	ImportRunning = "running"
	ImportDone    = "done"
	ImportFailed  = "failed"
)

// importChunkSize is how much of an uploaded file one sealed row holds.
const importChunkSize = 4 << 20

// ImportCounts is what an import added and what it found already here.
type ImportCounts struct {
	Conversations        int `json:"conversations"`
	ConversationsSkipped int `json:"conversations_skipped"`
	ConversationsEmpty   int `json:"conversations_empty"`
	Messages             int `json:"messages"`
	MessagesSkipped      int `json:"messages_skipped"`
	Memories             int `json:"memories"`
	MemoriesSkipped      int `json:"memories_skipped"`
	Collections          int `json:"collections"`
	CollectionsSkipped   int `json:"collections_skipped"`
	Documents            int `json:"documents"`
	DocumentsSkipped     int `json:"documents_skipped"`
	Settings             int `json:"settings"`
	// Credentials counts API keys and passkeys in a bundle, which are
	// never recreated: they would be usable secrets.
	CredentialsSkipped int `json:"credentials_skipped"`
	// Connectors counts mail and calendar connections of a bundle that
	// were connected again (their credentials travelled);
	// ConnectorsSkipped those the person must connect again;
	// ConnectorsKnown those an earlier import already connected.
	Connectors        int `json:"connectors"`
	ConnectorsSkipped int `json:"connectors_skipped"`
	ConnectorsKnown   int `json:"connectors_known"`
}

// Import is one import job.
type Import struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	Format    string
	State     string
	Size      int64
	Total     int // conversations in the file, once validated
	Position  int // conversations handled
	Counts    ImportCounts
	ErrorCode string
	Error     string // for the owner; "" unless failed
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CreateImport stores a queued import with its file, read from content and
// sealed in chunks as it is read (so the whole file is never held), then
// its passphrase, asked for once the file is read (a form may send it
// after the file) and sealed when there is one; then runs enqueue in the
// same transaction. It returns the file's size.
func (s *Store) CreateImport(ctx context.Context, imp Import, content io.Reader, passphrase func() (string, error), enqueue TxHook) (int64, error) {
	k, err := s.keyFor(ctx, imp.UserID)
	if err != nil {
		return 0, fmt.Errorf("create import: %w", err)
	}
	var size int64
	err = s.InTx(ctx, func(tx *Store) error {
		_, err := tx.db.Exec(ctx, `
			INSERT INTO imports (id, user_id, format, state, size_bytes, created_at, updated_at)
			VALUES ($1, $2, $3, 'queued', 0, $4, $4)`, imp.ID, imp.UserID, imp.Format, imp.CreatedAt)
		if err != nil {
			return fmt.Errorf("create import: %w", err)
		}
		buf := make([]byte, importChunkSize)
		for ordinal := 0; ; ordinal++ {
			n, rerr := io.ReadFull(content, buf)
			if n > 0 {
				sealed, err := k.seal("import_blobs", "content", fmt.Sprintf("%s/%d", imp.ID, ordinal), string(buf[:n]))
				if err != nil {
					return err
				}
				if _, err := tx.db.Exec(ctx, `INSERT INTO import_blobs (import_id, user_id, ordinal, content_sealed) VALUES ($1, $2, $3, $4)`,
					imp.ID, imp.UserID, ordinal, sealed); err != nil {
					return fmt.Errorf("store import file: %w", err)
				}
				size += int64(n)
			}
			if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
				break
			}
			if rerr != nil {
				return fmt.Errorf("read import file: %w", rerr)
			}
		}
		var sealedPass []byte
		if passphrase != nil {
			p, err := passphrase()
			if err != nil {
				return err
			}
			if p != "" {
				if sealedPass, err = k.seal("imports", "passphrase", imp.ID, p); err != nil {
					return err
				}
			}
		}
		if _, err := tx.db.Exec(ctx, `UPDATE imports SET size_bytes = $2, passphrase_sealed = $3 WHERE id = $1`, imp.ID, size, sealedPass); err != nil {
			return fmt.Errorf("create import: %w", err)
		}
		if enqueue == nil {
			return nil
		}
		pgxTx, ok := tx.db.(pgx.Tx)
		if !ok {
			return fmt.Errorf("create import: not in a transaction")
		}
		return enqueue(ctx, pgxTx)
	})
	return size, err
}

const importColumns = `id, user_id, format, state, size_bytes, total, position, counts, error_code, error_sealed, created_at, updated_at`

// Import returns one of the user's imports; another user's gives
// ErrNotFound.
func (s *Store) Import(ctx context.Context, userID, id uuid.UUID) (Import, error) {
	var imp Import
	var counts []byte
	var errSealed []byte
	err := s.db.QueryRow(ctx, `SELECT `+importColumns+` FROM imports WHERE id = $1 AND user_id = $2`, id, userID).Scan(
		&imp.ID, &imp.UserID, &imp.Format, &imp.State, &imp.Size, &imp.Total, &imp.Position, &counts, &imp.ErrorCode, &errSealed, &imp.CreatedAt, &imp.UpdatedAt)
	if err != nil {
		return Import{}, notFound(err, "import")
	}
	if err := json.Unmarshal(counts, &imp.Counts); err != nil {
		return Import{}, fmt.Errorf("import counts: %w", err)
	}
	if errSealed != nil {
		k, err := s.keyFor(ctx, userID)
		if err != nil {
			return Import{}, fmt.Errorf("import: %w", err)
		}
		if imp.Error, err = k.open("imports", "error", id, errSealed); err != nil {
			return Import{}, err
		}
	}
	return imp, nil
}

// StartImport marks an import running, with its detected format and how
// many conversations its file holds.
func (s *Store) StartImport(ctx context.Context, userID, id uuid.UUID, format string, total int, now time.Time) error {
	tag, err := s.db.Exec(ctx, `
		UPDATE imports SET state = 'running', format = $3, total = $4, updated_at = $5
		WHERE id = $1 AND user_id = $2 AND state IN ('queued', 'running')`, id, userID, format, total, now)
	if err != nil {
		return fmt.Errorf("start import: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("start import: %w", ErrNotFound)
	}
	return nil
}

// FinishImport marks an import done with its counts and drops its file.
func (s *Store) FinishImport(ctx context.Context, userID, id uuid.UUID, counts ImportCounts, now time.Time) error {
	return s.endImport(ctx, userID, id, ImportDone, counts, "", "", now)
}

// FailImport marks an import failed with a message for its owner and drops
// its file. What was written before stays (each batch is whole); the
// validation pass means a malformed file wrote nothing.
func (s *Store) FailImport(ctx context.Context, userID, id uuid.UUID, code, message string, now time.Time) error {
	return s.endImport(ctx, userID, id, ImportFailed, ImportCounts{}, code, message, now)
}

func (s *Store) endImport(ctx context.Context, userID, id uuid.UUID, state string, counts ImportCounts, code, message string, now time.Time) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("end import: %w", err)
	}
	var sealedErr []byte
	if message != "" {
		if sealedErr, err = k.seal("imports", "error", id, message); err != nil {
			return err
		}
	}
	return s.InTx(ctx, func(tx *Store) error {
		q := `UPDATE imports SET state = $3, error_code = $4, error_sealed = $5, passphrase_sealed = NULL, updated_at = $6`
		args := []any{id, userID, state, code, sealedErr, now}
		if state == ImportDone {
			b, err := json.Marshal(counts)
			if err != nil {
				return err
			}
			q += `, counts = $7, position = total`
			args = append(args, b)
		}
		tag, err := tx.db.Exec(ctx, q+` WHERE id = $1 AND user_id = $2`, args...)
		if err != nil {
			return fmt.Errorf("end import: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("end import: %w", ErrNotFound)
		}
		if _, err := tx.db.Exec(ctx, `DELETE FROM import_blobs WHERE import_id = $1`, id); err != nil {
			return fmt.Errorf("end import: %w", err)
		}
		return nil
	})
}
