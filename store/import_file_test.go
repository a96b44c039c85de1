package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/internal/testdb"
	"confidant/store"
)

// TestImportFileReadsPieces stores a file of two whole pieces and a part
// of a third and reads it back at offsets across the pieces' edges, in
// order and not, as a zip reader and a JSON decoder do.
func TestImportFileReadsPieces(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	kr, reg := testdb.Keys(t)
	st := store.New(pool, kr, reg)
	ctx := context.Background()
	owner := mustUser(t, st, "importer").ID
	const piece = 4 << 20
	data := make([]byte, 2*piece+12345)
	rand.Read(data)
	imp := store.Import{ID: uuid.New(), UserID: owner, State: store.ImportQueued, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	size, err := st.CreateImport(ctx, imp, bytes.NewReader(data), func() (string, error) { return "correct horse", nil }, nil)
	if err != nil || size != int64(len(data)) {
		t.Fatalf("create import: %d, %v", size, err)
	}

	f, err := st.OpenImportFile(ctx, owner, imp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.Size() != int64(len(data)) || f.Passphrase() != "correct horse" {
		t.Fatalf("size %d, passphrase %q", f.Size(), f.Passphrase())
	}
	tests := []struct {
		name    string
		off     int64
		n       int
		wantN   int
		wantEOF bool
	}{
		{"start", 0, 100, 100, false},
		{"across the first edge", piece - 10, 20, 20, false},
		{"a whole middle piece and more", piece - 1, piece + 2, piece + 2, false},
		{"back to the first piece", 5, 10, 10, false},
		{"the end exactly", int64(len(data)) - 50, 50, 50, false},
		{"past the end", int64(len(data)) - 50, 100, 50, true},
		{"at the end", int64(len(data)), 10, 0, true},
	}
	for _, tt := range tests {
		p := make([]byte, tt.n)
		n, err := f.ReadAt(p, tt.off)
		if n != tt.wantN || errors.Is(err, io.EOF) != tt.wantEOF || (err != nil && !errors.Is(err, io.EOF)) {
			t.Errorf("%s: read %d, %v; want %d (EOF %v)", tt.name, n, err, tt.wantN, tt.wantEOF)
		}
		if !bytes.Equal(p[:n], data[tt.off:tt.off+int64(n)]) {
			t.Errorf("%s: the bytes differ", tt.name)
		}
	}
	all, err := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
	if err != nil || !bytes.Equal(all, data) {
		t.Fatalf("read in order: %d bytes, %v", len(all), err)
	}

	// Another user finds nothing; pieces moved between places do not open.
	if _, err := st.OpenImportFile(ctx, mustUser(t, st, "someone-else").ID, imp.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another user's import file: %v", err)
	}
	if _, err := pool.Exec(ctx, `
		UPDATE import_blobs b SET content_sealed = o.content_sealed FROM import_blobs o
		WHERE b.import_id = $1 AND o.import_id = $1 AND b.ordinal IN (0, 1) AND o.ordinal = 1 - b.ordinal`, imp.ID); err != nil {
		t.Fatal(err)
	}
	moved, err := st.OpenImportFile(ctx, owner, imp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := moved.ReadAt(make([]byte, 10), piece+5); err == nil {
		t.Error("a piece stored at another ordinal was read")
	}

	// Once the import ends, its file is gone.
	if err := st.FinishImport(ctx, owner, imp.ID, store.ImportCounts{}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.OpenImportFile(ctx, owner, imp.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("import file after the import ended: %v", err)
	}
}
