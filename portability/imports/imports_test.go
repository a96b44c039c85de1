package imports_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"confidant/chat"
	"confidant/internal/testdb"
	"confidant/portability/importer"
	"confidant/portability/imports"
	"confidant/store"
)

type harness struct {
	svc  *imports.Service
	st   *store.Store
	pool *pgxpool.Pool
	user uuid.UUID
}

func newHarness(t *testing.T, opt imports.Options) *harness {
	t.Helper()
	t.Parallel()
	pool := testdb.New(t)
	kr, reg := testdb.Keys(t)
	st := store.New(pool, kr, reg)
	h := &harness{st: st, pool: pool, user: newUser(t, st, "importer")}
	opt.PollInterval = 50 * time.Millisecond
	opt.RetryDelay = 100 * time.Millisecond
	svc, err := imports.New(pool, st, opt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = svc.Stop(stop)
		cancel()
	})
	h.svc = svc
	return h
}

func newUser(t *testing.T, st *store.Store, name string) uuid.UUID {
	t.Helper()
	u := store.User{ID: uuid.New(), Username: name, DisplayName: name, CreatedAt: time.Now()}
	if err := st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "importer", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (h *harness) submit(t *testing.T, data []byte) uuid.UUID {
	t.Helper()
	imp, err := h.svc.Submit(context.Background(), h.user, bytes.NewReader(data), "")
	if err != nil {
		t.Fatal(err)
	}
	if imp.State != store.ImportQueued || imp.Size != int64(len(data)) {
		t.Fatalf("submitted import = %+v", imp)
	}
	return imp.ID
}

func (h *harness) wait(t *testing.T, id uuid.UUID) store.Import {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		imp, err := h.svc.Job(context.Background(), h.user, id)
		if err != nil {
			t.Fatal(err)
		}
		if imp.State == store.ImportDone || imp.State == store.ImportFailed {
			return imp
		}
		if time.Now().After(deadline) {
			t.Fatalf("import still %s", imp.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rowCounts counts the user's conversations, messages and import items.
func (h *harness) rowCounts(t *testing.T) [3]int {
	t.Helper()
	var n [3]int
	for i, q := range []string{
		`SELECT count(*) FROM conversations WHERE user_id = $1`,
		`SELECT count(*) FROM messages WHERE user_id = $1`,
		`SELECT count(*) FROM import_items WHERE user_id = $1`,
	} {
		if err := h.pool.QueryRow(context.Background(), q, h.user).Scan(&n[i]); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func (h *harness) blobs(t *testing.T) int {
	var n int
	if err := h.pool.QueryRow(context.Background(), `SELECT count(*) FROM import_blobs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportChatGPTTwice(t *testing.T) {
	h := newHarness(t, imports.Options{})
	data := sample(t, "chatgpt_export.zip")
	imp := h.wait(t, h.submit(t, data))
	if imp.State != store.ImportDone || imp.Format != "chatgpt" || imp.Total != 3 || imp.Position != 3 {
		t.Fatalf("import = %+v", imp)
	}
	want := store.ImportCounts{Conversations: 2, ConversationsEmpty: 1, Messages: 10}
	if imp.Counts != want {
		t.Fatalf("counts = %+v, want %+v", imp.Counts, want)
	}
	if h.blobs(t) != 0 {
		t.Error("the uploaded file was kept after the import")
	}
	before := h.rowCounts(t)
	if before != [3]int{2, 10, 12} {
		t.Fatalf("rows = %v", before)
	}

	// The conversations look like any other: original times, branches.
	ctx := context.Background()
	page, err := h.st.ListConversations(ctx, h.user, false, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].Title != "Trip to Kyoto 🗾" {
		t.Fatalf("sidebar = %+v", page.Items)
	}
	kyoto := page.Items[0]
	if kyoto.CreatedAt.Unix() != 1716371330 || kyoto.UpdatedAt.Unix() != 1716372230 {
		t.Errorf("times = %v %v", kyoto.CreatedAt, kyoto.UpdatedAt)
	}
	msgs, err := h.st.Messages(ctx, h.user, kyoto.ID)
	if err != nil {
		t.Fatal(err)
	}
	thread := chat.Thread(msgs, kyoto.CurrentLeaf)
	if len(thread) != 4 || thread[0].Siblings != 2 || thread[0].Sibling != 2 || thread[1].Siblings != 2 {
		for _, turn := range thread {
			t.Logf("%s %d/%d %q", turn.Role, turn.Sibling, turn.Siblings, turn.Content)
		}
		t.Fatalf("thread on show has %d turns", len(thread))
	}
	if !strings.HasPrefix(thread[0].Content, "Plan three days in Kyoto for me, in autumn") || thread[3].Content != "Yes — that is the one near Nanzen-ji." {
		t.Errorf("thread = %q … %q", thread[0].Content, thread[3].Content)
	}
	prev := chat.Newest(msgs, *thread[0].Prev)
	other := chat.Thread(msgs, &prev)
	if len(other) != 2 || other[0].Content != "Plan three days in Kyoto for me." {
		t.Errorf("other branch = %+v", other)
	}
	archived, err := h.st.ListConversations(ctx, h.user, true, "", 50)
	if err != nil || len(archived.Items) != 1 || !strings.HasPrefix(archived.Items[0].Title, "Ünïcödé") {
		t.Fatalf("archived = %+v, %v", archived.Items, err)
	}
	if ids, err := h.st.SearchConversations(ctx, h.user, "Nanzen", 10); err != nil || len(ids) != 1 || ids[0] != kyoto.ID {
		t.Errorf("search = %v, %v", ids, err)
	}

	// Again: everything is skipped, nothing is added.
	again := h.wait(t, h.submit(t, data))
	want = store.ImportCounts{ConversationsSkipped: 2, ConversationsEmpty: 1, MessagesSkipped: 10}
	if again.State != store.ImportDone || again.Counts != want {
		t.Fatalf("second import = %+v", again)
	}
	if got := h.rowCounts(t); got != before {
		t.Fatalf("rows after second import = %v, want %v", got, before)
	}

	// A newer export adds only its new turns and conversation.
	newer := h.wait(t, h.submit(t, sample(t, "chatgpt_newer.json")))
	want = store.ImportCounts{Conversations: 1, ConversationsSkipped: 2, ConversationsEmpty: 1, Messages: 4, MessagesSkipped: 10}
	if newer.Counts != want {
		t.Fatalf("newer import counts = %+v, want %+v", newer.Counts, want)
	}
	conv, err := h.st.Conversation(ctx, h.user, kyoto.ID)
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ = h.st.Messages(ctx, h.user, kyoto.ID)
	thread = chat.Thread(msgs, conv.CurrentLeaf)
	if len(thread) != 6 || thread[5].Content != "I cannot book, but here is how to." {
		t.Errorf("grown thread has %d turns", len(thread))
	}
}

func TestImportFormats(t *testing.T) {
	tests := []struct {
		file string
		want store.ImportCounts
	}{
		{"claude_export.zip", store.ImportCounts{Conversations: 2, ConversationsEmpty: 1, Messages: 7}},
		{"claude_conversations.json", store.ImportCounts{Conversations: 2, ConversationsEmpty: 1, Messages: 7}},
		{"openwebui_chats.json", store.ImportCounts{Conversations: 1, ConversationsEmpty: 1, Messages: 4}},
	}
	h := newHarness(t, imports.Options{})
	for _, tt := range tests {
		// Each file into a fresh user, through the synchronous path
		// transfer uses.
		user := newUser(t, h.st, strings.NewReplacer(".", "", "_", "").Replace(tt.file))
		counts, err := h.svc.Import(context.Background(), user, bytes.NewReader(sample(t, tt.file)), "")
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if counts != tt.want {
			t.Errorf("%s: counts = %+v, want %+v", tt.file, counts, tt.want)
		}
	}
	if h.blobs(t) != 0 {
		t.Error("a file imported at once was kept after its import")
	}
}

func TestRefusedFileWritesNothing(t *testing.T) {
	h := newHarness(t, imports.Options{})
	good := sample(t, "chatgpt_conversations.json")
	// Valid at the start, broken in the last conversation: the validation
	// pass finds it before anything is written.
	broken := append(bytes.Clone(good[:len(good)-200]), []byte(`"x": }]`)...)
	imp := h.wait(t, h.submit(t, broken))
	if imp.State != store.ImportFailed || imp.ErrorCode != "malformed" || !strings.Contains(imp.Error, "conversation 3") {
		t.Fatalf("import = %+v", imp)
	}
	if got := h.rowCounts(t); got != [3]int{} {
		t.Fatalf("a refused file wrote rows: %v", got)
	}
	if h.blobs(t) != 0 {
		t.Error("the refused file was kept")
	}

	// Refused at upload: not an export at all, too large, a bundle without
	// its passphrase.
	for _, tt := range []struct {
		name string
		data []byte
		want error
	}{
		{"pdf", []byte("%PDF-1.4\n..."), importer.ErrUnknownFormat},
		{"empty", nil, importer.ErrEmpty},
		{"bundle without passphrase", []byte(importer.AgeHeader + "-> scrypt x 18\n"), importer.ErrNeedsPassphrase},
	} {
		if _, err := h.svc.Submit(context.Background(), h.user, bytes.NewReader(tt.data), ""); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	var n int
	if err := h.pool.QueryRow(context.Background(), `SELECT count(*) FROM imports WHERE state = 'queued'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("refused uploads left %d queued imports (%v)", n, err)
	}
}

func TestTooLargeAtUpload(t *testing.T) {
	h := newHarness(t, imports.Options{MaxFileSize: 1000})
	_, err := h.svc.Submit(context.Background(), h.user, bytes.NewReader(sample(t, "chatgpt_conversations.json")), "")
	if !errors.Is(err, importer.ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
	var n int
	if err := h.pool.QueryRow(context.Background(), `SELECT count(*) FROM imports`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d imports stored", n)
	}
}

// TestResume cuts an import off after its first batch, as a crash would;
// the retry resumes there and nothing is written twice.
func TestResume(t *testing.T) {
	var cut atomic.Bool
	var batches atomic.Int32
	h := newHarness(t, imports.Options{BatchMessages: 1, AfterBatch: func(position int) error {
		batches.Add(1)
		if position == 1 && cut.CompareAndSwap(false, true) {
			return errors.New("killed")
		}
		return nil
	}})
	imp := h.wait(t, h.submit(t, sample(t, "chatgpt_conversations.json")))
	if !cut.Load() {
		t.Fatal("the import was never cut off")
	}
	want := store.ImportCounts{Conversations: 2, ConversationsEmpty: 1, Messages: 10}
	if imp.State != store.ImportDone || imp.Counts != want {
		t.Fatalf("resumed import = %+v, want counts %+v", imp, want)
	}
	if got := h.rowCounts(t); got != [3]int{2, 10, 12} {
		t.Fatalf("rows = %v", got)
	}
	// Batches: 1 (cut) then 2 and 3 — the first is not redone.
	if n := batches.Load(); n != 3 {
		t.Errorf("%d batches written, want 3", n)
	}
}

func TestOwnerOnly(t *testing.T) {
	h := newHarness(t, imports.Options{})
	id := h.submit(t, sample(t, "openwebui_chats.json"))
	h.wait(t, id)
	other := newUser(t, h.st, "someone-else")
	if _, err := h.svc.Job(context.Background(), other, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user's job: %v", err)
	}
}
