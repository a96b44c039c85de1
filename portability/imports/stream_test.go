package imports_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/portability/bundle"
	"confidant/portability/importer"
	"confidant/portability/imports"
	"confidant/store"
)

// storedZip wraps data as name in a zip archive without compressing it,
// so the archive is as large as the file.
func storedZip(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportSpansPieces imports files larger than one stored piece (4
// MiB): the JSON read in order across the pieces' edges, and a zip whose
// directory lies in its last piece and its entry across the others.
func TestImportSpansPieces(t *testing.T) {
	const convs, msgs = 450, 20
	data := genChatGPT(convs, msgs)
	if len(data) < 5<<20 {
		t.Fatalf("the generated file is %d bytes, less than two pieces", len(data))
	}
	h := newHarness(t, imports.Options{})
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"json", data},
		{"zip", storedZip(t, "export-2026/conversations.json", data)},
	} {
		// Each into its own account, so each adds everything.
		user := newUser(t, h.st, "spans-"+tt.name)
		imp := waitFor(t, h, user, submitAs(t, h, user, tt.data))
		want := store.ImportCounts{Conversations: convs, Messages: convs * msgs}
		if imp.State != store.ImportDone || imp.Counts != want || imp.Total != convs {
			t.Fatalf("%s: import = %+v", tt.name, imp)
		}
	}
	if h.blobs(t) != 0 {
		t.Error("the uploaded files were kept after the imports")
	}
}

func submitAs(t *testing.T, h *harness, user uuid.UUID, data []byte) uuid.UUID {
	t.Helper()
	imp, err := h.svc.Submit(context.Background(), user, bytes.NewReader(data), "")
	if err != nil || imp.Size != int64(len(data)) {
		t.Fatalf("submit: %+v, %v", imp, err)
	}
	return imp.ID
}

func waitFor(t *testing.T, h *harness, user, id uuid.UUID) store.Import {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		imp, err := h.svc.Job(context.Background(), user, id)
		if err != nil {
			t.Fatal(err)
		}
		if imp.State == store.ImportDone || imp.State == store.ImportFailed || time.Now().After(deadline) {
			return imp
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// failingFile serves data through ReadAt until failAt, then fails as a
// store gone away would.
type failingFile struct {
	data   []byte
	failAt int64
}

var errStoreGone = errors.New("connection reset")

func (f failingFile) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.failAt {
		return 0, errStoreGone
	}
	return bytes.NewReader(f.data).ReadAt(p, off)
}

// TestBundleReadFailureIsRetried: a stored bundle that cannot be read is
// an error to try again, not a damaged bundle refused for good, and
// nothing is written.
func TestBundleReadFailureIsRetried(t *testing.T) {
	h := newBundleHarness(t, bundle.Limits{})
	ctx := context.Background()
	src := buildSource(t, h.st)
	data := exportBundle(t, h.st, src.user)
	b := &imports.Bundles{Store: h.st, Embedder: simEmbedderClient(t)}
	for _, failAt := range []int64{100, int64(len(data)) / 2, int64(len(data)) - 100} {
		_, err := b.ImportFrom(ctx, h.user, failingFile{data: data, failAt: failAt}, int64(len(data)), imports.BundleSource{Passphrase: testPassphrase})
		if !errors.Is(err, errStoreGone) {
			t.Errorf("failing at %d: err = %v, want the read error", failAt, err)
		}
		if _, refused := importer.AsError(err); refused {
			t.Errorf("failing at %d: a read failure refused the bundle: %v", failAt, err)
		}
	}
	if got := h.rowCounts(t); got != [3]int{} {
		t.Fatalf("rows written = %v", got)
	}
}
