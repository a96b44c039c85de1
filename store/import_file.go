package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/google/uuid"
)

// importFileCache is how many unsealed pieces an ImportFile keeps: two
// let a zip reader go between its directory and an entry without
// unsealing a piece each time.
const importFileCache = 2

// ImportFile reads an import's uploaded file back from its sealed pieces,
// unsealing one piece at a time, so a file of any size costs a few pieces
// of memory. It is an io.ReaderAt (what a zip reader needs; an
// io.SectionReader over it reads it in order). Reads use the context the
// file was opened with.
type ImportFile struct {
	store      *Store
	ctx        context.Context
	key        userKey
	id         uuid.UUID
	size       int64
	passphrase string

	mu    sync.Mutex
	cache []importPiece // most recently used first
}

type importPiece struct {
	ordinal int64
	data    string
}

// OpenImportFile opens an import's uploaded file, with its passphrase,
// while the import has not ended; after, ErrNotFound.
func (s *Store) OpenImportFile(ctx context.Context, userID, id uuid.UUID) (*ImportFile, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("import file: %w", err)
	}
	f := &ImportFile{store: s, ctx: ctx, key: k, id: id}
	var sealedPass []byte
	err = s.db.QueryRow(ctx, `SELECT size_bytes, passphrase_sealed FROM imports WHERE id = $1 AND user_id = $2 AND state IN ('queued', 'running')`, id, userID).Scan(&f.size, &sealedPass)
	if err != nil {
		return nil, notFound(err, "import file")
	}
	if sealedPass != nil {
		if f.passphrase, err = k.open("imports", "passphrase", id, sealedPass); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Size is the file's length in bytes.
func (f *ImportFile) Size() int64 { return f.size }

// Passphrase is the passphrase sent with the file, or "".
func (f *ImportFile) Passphrase() string { return f.passphrase }

// ReadAt reads len(p) bytes from off, unsealing the pieces they lie in.
func (f *ImportFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("import file: negative offset")
	}
	n := 0
	for n < len(p) && off < f.size {
		piece, err := f.piece(off / importChunkSize)
		if err != nil {
			return n, err
		}
		c := copy(p[n:], piece[off%importChunkSize:])
		n += c
		off += int64(c)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// piece returns one unsealed piece, from the cache or the database.
func (f *ImportFile) piece(ordinal int64) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, c := range f.cache {
		if c.ordinal == ordinal {
			copy(f.cache[1:i+1], f.cache[:i])
			f.cache[0] = c
			return c.data, nil
		}
	}
	var sealed []byte
	err := f.store.db.QueryRow(f.ctx, `SELECT content_sealed FROM import_blobs WHERE import_id = $1 AND user_id = $2 AND ordinal = $3`,
		f.id, f.key.userID, ordinal).Scan(&sealed)
	if err != nil {
		return "", fmt.Errorf("import file piece %d: %w", ordinal, notFound(err, "import file piece"))
	}
	data, err := f.key.open("import_blobs", "content", fmt.Sprintf("%s/%d", f.id, ordinal), sealed)
	if err != nil {
		return "", err
	}
	if want := min(importChunkSize, f.size-ordinal*importChunkSize); int64(len(data)) != want {
		return "", fmt.Errorf("import file piece %d: %d bytes, want %d", ordinal, len(data), want)
	}
	if len(f.cache) < importFileCache {
		f.cache = append(f.cache, importPiece{})
	}
	copy(f.cache[1:], f.cache[:len(f.cache)-1])
	f.cache[0] = importPiece{ordinal: ordinal, data: data}
	return data, nil
}
