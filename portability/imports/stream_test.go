package imports_test

import (
	"archive/zip"
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

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
