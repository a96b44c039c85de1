package exporter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"confidant/inference/simbackend"
	"confidant/internal/testdb"
	"confidant/portability/bundle"
	"confidant/portability/exporter"
	"confidant/store"
)

// account is what the test writes through the store, as the bundle should
// hold it.
type account struct {
	user          store.User
	conversations []bundle.Conversation
	messages      []bundle.Message
	memories      []bundle.Memory
	collections   []bundle.Collection
	documents     []bundle.Document
	chunks        []bundle.Chunk
	files         map[uuid.UUID][]byte
	settings      bundle.Settings
	apiKeys       []bundle.APIKey
	passkeys      []bundle.Passkey
}

func v7(t *testing.T) uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// buildAccount writes a user with a branched chat, verdicts, memories,
// documents (one ingested, one still queued), settings, keys and passkeys.
func buildAccount(t *testing.T, st *store.Store, username, secret string) account {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	u := store.User{ID: uuid.New(), Username: username, DisplayName: "Display " + username, CreatedAt: at}
	must(t, st.CreateUser(ctx, u))
	a := account{user: u, files: map[uuid.UUID][]byte{}}

	conv := store.Conversation{ID: v7(t), UserID: u.ID, Title: "Plans " + secret, Model: "sim-chat", Pinned: true, CreatedAt: at, UpdatedAt: at}
	must(t, st.CreateConversation(ctx, conv))
	empty := store.Conversation{ID: v7(t), UserID: u.ID, Model: "sim-chat", Archived: true, CreatedAt: at, UpdatedAt: at}
	must(t, st.CreateConversation(ctx, empty))

	add := func(parent *uuid.UUID, role, content, status string) store.Message {
		m := store.Message{ID: v7(t), ConversationID: conv.ID, UserID: u.ID, ParentID: parent, Role: role, Content: content,
			Status: status, CreatedAt: at, UpdatedAt: at}
		if role == store.RoleAssistant {
			m.Model = "sim-chat"
		}
		if status == store.StatusFailed {
			m.ErrorCode = "backend"
		}
		must(t, st.AddMessage(ctx, m))
		return m
	}
	q := add(nil, store.RoleUser, "Where should we go? "+secret, store.StatusComplete)
	a1 := add(&q.ID, store.RoleAssistant, "Lisbon. "+secret, store.StatusComplete)
	a2 := add(&q.ID, store.RoleAssistant, "Porto, second branch", store.StatusFailed) // a regenerated answer: a branch
	q2 := add(&a1.ID, store.RoleUser, "And in winter?", store.StatusComplete)

	verdict := store.AnswerVerification{State: store.VerificationAmber, Reason: "simulated backend", Backend: "sim", SigningAddress: "0xabc",
		SigningAlgo: "ecdsa", Signature: "0xsig", Text: "aa:bb", CheckedAt: at, ReportVerifiedAt: at, ReportState: "amber",
		ReportChecks: []store.ReportCheck{{Name: "tdx_quote", Status: "skipped", Detail: "simulated"}}, ReportFacts: map[string]string{"model": "sim-chat"}, Simulated: true}
	must(t, st.SaveAnswerVerification(ctx, u.ID, a1.ID, verdict))
	must(t, st.SaveSignedText(ctx, u.ID, a1.ID, "11:22", at))

	mem := store.Memory{ID: v7(t), UserID: u.ID, Text: "Prefers trains " + secret, Kind: store.MemoryExplicit, SourceConversationID: &conv.ID,
		SourceMessageID: &q.ID, CreatedAt: at, UpdatedAt: at}
	must(t, st.CreateMemory(ctx, mem, simbackend.Embed(mem.Text)))
	must(t, st.LinkMessageMemories(ctx, u.ID, a1.ID, []uuid.UUID{mem.ID}))

	coll := store.Collection{ID: v7(t), UserID: u.ID, Name: "Travel " + secret, CreatedAt: at}
	must(t, st.CreateCollection(ctx, coll))

	ingested := store.NewDocument{Document: store.Document{ID: v7(t), Name: "guide.md", Kind: "markdown"}, Content: []byte("# Guide\n" + secret)}
	queued := store.NewDocument{Document: store.Document{ID: v7(t), Name: "scan.pdf", Kind: "pdf"}, Content: append([]byte("%PDF-1.7\x00\xff "), secret...)}
	must(t, st.CreateIngestJob(ctx, u.ID, v7(t), []store.NewDocument{ingested, queued}, at, nil))
	must(t, st.SetDocumentCollection(ctx, u.ID, queued.ID, &coll.ID))
	if _, err := st.DocumentContent(ctx, u.ID, ingested.ID, at); err != nil {
		t.Fatal(err)
	}
	chunkIDs := []uuid.UUID{v7(t), v7(t)}
	must(t, st.CompleteDocument(ctx, u.ID, ingested.ID, []store.NewChunk{
		{ID: chunkIDs[0], Ordinal: 0, Heading: "Guide", Text: "first " + secret, Embedding: simbackend.Embed("first")},
		{ID: chunkIDs[1], Ordinal: 1, Heading: "Guide", Text: "second", Embedding: simbackend.Embed("second")},
	}, at))

	must(t, st.SetInstructions(ctx, u.ID, "Be brief. "+secret, at))
	must(t, st.SetMemoryPaused(ctx, u.ID, true, at))
	key := store.APIKey{ID: uuid.New(), UserID: u.ID, Name: "laptop " + secret, TokenHash: []byte("hash-must-not-leave-" + secret), Scopes: []string{"chat", "export"}, CreatedAt: at}
	must(t, st.CreateAPIKey(ctx, key))
	pk := store.Passkey{ID: uuid.New(), UserID: u.ID, Name: "Phone " + secret, CreatedAt: at, Credential: webauthn.Credential{
		ID: []byte("cred-" + username), PublicKey: []byte("cose-key"), AttestationType: "basic_full",
		Transport:     []protocol.AuthenticatorTransport{protocol.Internal, protocol.Hybrid},
		Flags:         webauthn.CredentialFlags{BackupEligible: true, BackupState: true},
		Authenticator: webauthn.Authenticator{AAGUID: bytes.Repeat([]byte{7}, 16), SignCount: 3}}}
	must(t, st.AddPasskey(ctx, pk))

	// What the bundle should say.
	a.conversations = []bundle.Conversation{
		{ID: conv.ID, Title: conv.Title, Model: "sim-chat", Pinned: true, CreatedAt: at},
		{ID: empty.ID, Model: "sim-chat", Archived: true, CreatedAt: at},
	}
	bv := &bundle.Verification{State: "amber", Reason: "simulated backend", Backend: "sim", SigningAddress: "0xabc", SigningAlgo: "ecdsa",
		Signature: "0xsig", Text: "aa:bb", CheckedAt: at, ReportVerifiedAt: at, ReportState: "amber",
		ReportChecks: []bundle.ReportCheck{{Name: "tdx_quote", Status: "skipped", Detail: "simulated"}}, ReportFacts: map[string]string{"model": "sim-chat"}, Simulated: true}
	for _, m := range []store.Message{q, a1, a2, q2} {
		bm := bundle.Message{ID: m.ID, ConversationID: conv.ID, ParentID: m.ParentID, Role: m.Role, Content: m.Content, Model: m.Model,
			State: m.Status, ErrorCode: m.ErrorCode, CreatedAt: at, UpdatedAt: at}
		if m.ID == a1.ID {
			bm.Verification, bm.SignedText, bm.MemoryIDs = bv, "11:22", []uuid.UUID{mem.ID}
		}
		a.messages = append(a.messages, bm)
	}
	a.memories = []bundle.Memory{{ID: mem.ID, Text: mem.Text, Kind: "explicit", SourceConversationID: &conv.ID, SourceMessageID: &q.ID, CreatedAt: at, UpdatedAt: at}}
	a.collections = []bundle.Collection{{ID: coll.ID, Name: coll.Name, CreatedAt: at}}
	a.documents = []bundle.Document{
		{ID: ingested.ID, Name: "guide.md", Kind: "markdown", SizeBytes: int64(len(ingested.Content)), Status: "ready", CreatedAt: at, UpdatedAt: at},
		{ID: queued.ID, Name: "scan.pdf", Kind: "pdf", SizeBytes: int64(len(queued.Content)), Status: "queued", CollectionID: &coll.ID,
			File: bundle.DocumentFileName(queued.ID), CreatedAt: at, UpdatedAt: at},
	}
	a.chunks = []bundle.Chunk{{ID: chunkIDs[0], DocumentID: ingested.ID, Ordinal: 0, Heading: "Guide", Text: "first " + secret},
		{ID: chunkIDs[1], DocumentID: ingested.ID, Ordinal: 1, Heading: "Guide", Text: "second"}}
	a.files[queued.ID] = queued.Content
	a.settings = bundle.Settings{Instructions: "Be brief. " + secret, MemoryPaused: true, UpdatedAt: at}
	a.apiKeys = []bundle.APIKey{{ID: key.ID, Name: key.Name, Scopes: []string{"chat", "export"}, CreatedAt: at}}
	a.passkeys = []bundle.Passkey{{ID: pk.ID, Name: pk.Name, CredentialID: pk.Credential.ID, PublicKey: []byte("cose-key"), AttestationType: "basic_full",
		AAGUID: bytes.Repeat([]byte{7}, 16), Transports: []string{"internal", "hybrid"}, SignCount: 3, BackupEligible: true, BackupState: true, CreatedAt: at}}
	return a
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// read collects a bundle's records back into an account.
func read(t *testing.T, r *bundle.Reader) account {
	t.Helper()
	var a account
	a.files = map[uuid.UUID][]byte{}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return a
		}
		must(t, err)
		switch rec.Kind {
		case bundle.KindConversation:
			a.conversations = append(a.conversations, *rec.Conversation)
		case bundle.KindMessage:
			a.messages = append(a.messages, *rec.Message)
		case bundle.KindMemory:
			a.memories = append(a.memories, *rec.Memory)
		case bundle.KindCollection:
			a.collections = append(a.collections, *rec.Collection)
		case bundle.KindDocument:
			a.documents = append(a.documents, *rec.Document)
		case bundle.KindChunk:
			a.chunks = append(a.chunks, *rec.Chunk)
		case bundle.KindSettings:
			a.settings = *rec.Settings
		case bundle.KindAPIKey:
			a.apiKeys = append(a.apiKeys, *rec.APIKey)
		case bundle.KindPasskey:
			a.passkeys = append(a.passkeys, *rec.Passkey)
		case bundle.KindConnector:
			t.Fatalf("connector exported: %+v", rec.Connector)
		case bundle.KindFile:
			data, err := io.ReadAll(rec.File)
			must(t, err)
			a.files[rec.DocumentID] = data
		}
	}
}

// same compares two values by their JSON, times in UTC, so a time read
// from the database in another zone still compares equal.
func same(t *testing.T, what string, want, got any) {
	t.Helper()
	w, g := normJSON(t, want), normJSON(t, got)
	if !reflect.DeepEqual(w, g) {
		wj, _ := json.MarshalIndent(w, "", " ")
		gj, _ := json.MarshalIndent(g, "", " ")
		t.Errorf("%s differ\nwant %s\n got %s", what, wj, gj)
	}
}

func normJSON(t *testing.T, v any) any {
	data, err := json.Marshal(v)
	must(t, err)
	var out any
	must(t, json.Unmarshal(data, &out))
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		case string:
			if tm, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return tm.UTC().Format(time.RFC3339Nano)
			}
		}
		return v
	}
	return walk(out)
}

func TestExportWholeAccount(t *testing.T) {
	t.Parallel()
	st := testdb.NewStore(t)
	ctx := context.Background()
	alice := buildAccount(t, st, "alice", "Canary-alice-x9")
	bob := buildAccount(t, st, "bob", "Canary-bob-x9")

	e := &exporter.Exporter{Store: st, Source: bundle.Source{Origin: "https://confidant.example", Version: "v1.2.3", Commit: "abc123"},
		Now: func() time.Time { return time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC) }, Page: 1}
	var progress []exporter.Progress
	opts := exporter.Options{Progress: func(p exporter.Progress) { progress = append(progress, p) }}
	m, err := e.Manifest(ctx, alice.user.ID, opts)
	must(t, err)
	var buf bytes.Buffer
	w, err := bundle.NewWriter(&buf, m)
	must(t, err)
	must(t, e.Export(ctx, alice.user.ID, w, opts))
	must(t, w.Close())

	if bytes.Contains(buf.Bytes(), []byte("Canary-bob")) {
		t.Fatal("bob's data in alice's export")
	}
	if bytes.Contains(buf.Bytes(), []byte("hash-must-not-leave")) {
		t.Fatal("an API key hash was exported")
	}
	r, err := bundle.NewReader(bytes.NewReader(buf.Bytes()), bundle.Limits{})
	must(t, err)
	got := read(t, r)
	wantManifest := bundle.Manifest{Format: bundle.FormatName, Version: bundle.Version, CreatedAt: e.Now(), Source: e.Source,
		User: bundle.User{ID: alice.user.ID, Username: "alice", DisplayName: "Display alice", CreatedAt: alice.user.CreatedAt}}
	same(t, "manifest", wantManifest, r.Manifest())

	// Conversation timestamps move with their messages; compare the rest.
	for i := range got.conversations {
		if got.conversations[i].UpdatedAt.Before(got.conversations[i].CreatedAt) {
			t.Errorf("conversation %d updated before it was created", i)
		}
		got.conversations[i].UpdatedAt = time.Time{}
		if got.conversations[i].CurrentLeaf != nil {
			got.conversations[i].CurrentLeaf = nil
		}
	}
	same(t, "conversations", alice.conversations, got.conversations)
	same(t, "messages", alice.messages, got.messages)
	same(t, "memories", alice.memories, got.memories)
	same(t, "collections", alice.collections, got.collections)
	same(t, "chunks", alice.chunks, got.chunks)
	same(t, "settings", alice.settings, got.settings)
	same(t, "api keys", alice.apiKeys, got.apiKeys)
	same(t, "passkeys", alice.passkeys, got.passkeys)
	for i := range got.documents {
		got.documents[i].UpdatedAt = alice.documents[i].UpdatedAt // ingestion moves it
	}
	same(t, "documents", alice.documents, got.documents)
	if !reflect.DeepEqual(alice.files, got.files) {
		t.Errorf("document files differ: %d want, %d got", len(alice.files), len(got.files))
	}
	_ = bob

	// 2 conversations, 4 messages, 1 memory, 1 collection, 2 documents,
	// 2 chunks, 1 API key, 1 passkey, 1 document file.
	const total = 15
	last := progress[len(progress)-1]
	if last.Done != total || last.Total != total {
		t.Fatalf("last progress %+v, want %d of %d", last, total, total)
	}
}

func TestExportRefusesDeletedUser(t *testing.T) {
	t.Parallel()
	st := testdb.NewStore(t)
	e := &exporter.Exporter{Store: st}
	_, err := e.Manifest(context.Background(), uuid.New(), exporter.Options{})
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("manifest of no user: %v", err)
	}
}

func TestSplitConnectorSettings(t *testing.T) {
	tests := []struct {
		name, raw, settings, credentials string
	}{
		{"imap", `{"kind":"imap","host":"imap.example","port":993,"security":"tls","username":"a","password":"hunter2"}`,
			`{"host":"imap.example","kind":"imap","port":993,"security":"tls","username":"a"}`, `{"password":"hunter2"}`},
		{"oauth", `{"kind":"google","account":"a@example","access_token":"at","refresh_token":"rt","token_expiry":"2026-01-01T00:00:00Z"}`,
			`{"account":"a@example","kind":"google"}`, `{"access_token":"at","refresh_token":"rt","token_expiry":"2026-01-01T00:00:00Z"}`},
		{"unknown keys count as secret", `{"kind":"caldav","url":"https://dav.example","app_secret":"s"}`,
			`{"kind":"caldav","url":"https://dav.example"}`, `{"app_secret":"s"}`},
		{"nothing secret", `{"kind":"caldav"}`, `{"kind":"caldav"}`, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c, err := exporter.SplitConnectorSettings(json.RawMessage(tt.raw))
			must(t, err)
			if string(s) != tt.settings || string(c) != tt.credentials {
				t.Fatalf("got %s / %s, want %s / %s", s, c, tt.settings, tt.credentials)
			}
		})
	}
	if _, _, err := exporter.SplitConnectorSettings(json.RawMessage(`[1]`)); err == nil {
		t.Fatal("a JSON array accepted as settings")
	}
}

// Canary: the secret written everywhere an account holds text (titles,
// messages, memory, collection and document names, document originals and
// passages, instructions, key and passkey names) is in the bundle's
// plaintext but nowhere in the encrypted file.
func TestEncryptedExportHoldsNoPlaintext(t *testing.T) {
	t.Parallel()
	st := testdb.NewStore(t)
	ctx := context.Background()
	const secret = "Canary-export-Zq81"
	alice := buildAccount(t, st, "alice", secret)
	e := &exporter.Exporter{Store: st}

	var plain bytes.Buffer
	m, err := e.Manifest(ctx, alice.user.ID, exporter.Options{})
	must(t, err)
	w, err := bundle.NewWriter(&plain, m)
	must(t, err)
	must(t, e.Export(ctx, alice.user.ID, w, exporter.Options{}))
	must(t, w.Close())
	if n := bytes.Count(plain.Bytes(), []byte(secret)); n < 10 {
		t.Fatalf("the plain bundle holds the canary %d times: the check below would prove little", n)
	}

	key, err := age.GenerateX25519Identity()
	must(t, err)
	var enc bytes.Buffer
	must(t, e.ExportEncrypted(ctx, alice.user.ID, &enc, key.Recipient(), exporter.Options{}))
	for _, s := range []string{secret, "alice", "Display alice", bundle.ManifestName} {
		if bytes.Contains(enc.Bytes(), []byte(s)) {
			t.Fatalf("%q in the encrypted export", s)
		}
	}
	r, err := bundle.NewEncryptedReader(bytes.NewReader(enc.Bytes()), bundle.Limits{}, key)
	must(t, err)
	got := read(t, r)
	same(t, "messages", alice.messages, got.messages)
}

// An export that fails midway (here the client goes away) returns the
// error and leaves a file every reader calls incomplete, never one that
// looks whole.
func TestFailedExportReadsAsTruncated(t *testing.T) {
	t.Parallel()
	st := testdb.NewStore(t)
	alice := buildAccount(t, st, "alice", "x")
	// Enough messages that the export is still running when cancelled.
	conv := store.Conversation{ID: v7(t), UserID: alice.user.ID, Model: "sim-chat", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	must(t, st.CreateConversation(context.Background(), conv))
	for i := range 1200 {
		must(t, st.AddMessage(context.Background(), store.Message{ID: v7(t), ConversationID: conv.ID, UserID: alice.user.ID, Role: store.RoleUser,
			Content: strings.Repeat("long message ", 40) + fmt.Sprint(i), Status: store.StatusComplete, CreatedAt: time.Now(), UpdatedAt: time.Now()}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	key, err := age.GenerateX25519Identity()
	must(t, err)
	out := &cancelAfter{limit: 64 << 10, cancel: cancel}
	err = (&exporter.Exporter{Store: st}).ExportEncrypted(ctx, alice.user.ID, out, key.Recipient(), exporter.Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("export error %v, want context.Canceled", err)
	}
	r, err := bundle.NewEncryptedReader(bytes.NewReader(out.buf.Bytes()), bundle.Limits{}, key)
	if err == nil {
		for err == nil {
			_, err = r.Next()
		}
	}
	if !errors.Is(err, bundle.ErrTruncated) {
		t.Fatalf("reading the cut file: %v, want ErrTruncated", err)
	}
}

// cancelAfter keeps what is written and cancels once it holds limit bytes.
type cancelAfter struct {
	buf    bytes.Buffer
	limit  int
	cancel context.CancelFunc
}

func (c *cancelAfter) Write(p []byte) (int, error) {
	c.buf.Write(p)
	if c.buf.Len() >= c.limit {
		c.cancel()
	}
	return len(p), nil
}
