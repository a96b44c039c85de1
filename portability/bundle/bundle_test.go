package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/google/uuid"
)

// sample is one of every record kind, with every field set.
type sample struct {
	manifest      Manifest
	conversations []Conversation
	messages      []Message
	memories      []Memory
	collections   []Collection
	documents     []Document
	chunks        []Chunk
	files         map[uuid.UUID][]byte
	settings      Settings
	apiKeys       []APIKey
	connectors    []Connector
	passkeys      []Passkey
}

func ptr[T any](v T) *T { return &v }

func newSample(messages int) sample {
	at := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	convID, collID, docID := uuid.New(), uuid.New(), uuid.New()
	s := sample{
		manifest: Manifest{CreatedAt: at, Source: Source{Origin: "https://a.example", Version: "v1", Commit: "abc"},
			User: User{ID: uuid.New(), Username: "ada", DisplayName: "Ada L.", CreatedAt: at}, ConnectorCredentials: true},
		conversations: []Conversation{{ID: convID, Title: "Trip ✈", Model: "sim-chat", Pinned: true, Temporary: false,
			CurrentLeaf: ptr(uuid.New()), Documents: "all", CreatedAt: at, UpdatedAt: at.Add(time.Minute)}},
		memories: []Memory{{ID: uuid.New(), Text: "likes tea", Kind: "explicit", SourceConversationID: &convID,
			CreatedAt: at, UpdatedAt: at, LastUsedAt: ptr(at.Add(time.Hour))}},
		collections: []Collection{{ID: collID, Name: "Papers", CreatedAt: at}},
		files:       map[uuid.UUID][]byte{docID: bytes.Repeat([]byte("%PDF-1.7 original\x00\xff"), 5000)},
		settings:    Settings{Instructions: "Answer briefly.", MemoryPaused: true, UpdatedAt: at},
		apiKeys:     []APIKey{{ID: uuid.New(), Name: "laptop", Scopes: []string{"chat", "export"}, CreatedAt: at}},
		connectors: []Connector{{ID: uuid.New(), Kind: "imap", Name: "Mail", Settings: json.RawMessage(`{"host":"imap.example","port":993}`),
			Credentials: json.RawMessage(`{"password":"hunter2"}`), CreatedAt: at}},
		passkeys: []Passkey{{ID: uuid.New(), Name: "Phone", CredentialID: []byte{1, 2, 3}, PublicKey: []byte{4, 5, 6},
			AttestationType: "none", AAGUID: make([]byte, 16), Transports: []string{"internal", "hybrid"}, SignCount: 7,
			BackupEligible: true, BackupState: true, CreatedAt: at, LastUsedAt: ptr(at)}},
	}
	s.documents = []Document{{ID: docID, Name: "paper.pdf", Kind: "pdf", SizeBytes: int64(len(s.files[docID])), Status: "ready",
		CollectionID: &collID, File: DocumentFileName(docID), CreatedAt: at, UpdatedAt: at},
		{ID: uuid.New(), Name: "lost.txt", Kind: "text", Status: "failed", ErrorCode: "parse", CreatedAt: at, UpdatedAt: at}}
	s.chunks = []Chunk{{ID: uuid.New(), DocumentID: docID, Ordinal: 0, Heading: "Intro", Text: "first passage"},
		{ID: uuid.New(), DocumentID: docID, Ordinal: 1, Text: "second passage"}}
	var parent *uuid.UUID
	for i := range messages {
		m := Message{ID: uuid.New(), ConversationID: convID, ParentID: parent, Role: "user", Content: fmt.Sprintf("message %d %s", i, strings.Repeat("é", i%300)),
			State: "complete", CreatedAt: at.Add(time.Duration(i) * time.Second), UpdatedAt: at}
		if i%2 == 1 {
			m.Role, m.Model, m.SignedText, m.MemoryIDs = "assistant", "sim-chat", "aa:bb", []uuid.UUID{s.memories[0].ID}
			m.Verification = &Verification{State: "amber", Backend: "sim", SigningAddress: "0x1", SigningAlgo: "ecdsa", Signature: "0xsig",
				Text: "aa:bb", CheckedAt: at, ReportVerifiedAt: at, ReportState: "amber",
				ReportChecks: []ReportCheck{{Name: "tdx", Status: "skipped", Detail: "simulated"}}, ReportFacts: map[string]string{"k": "v"}, Simulated: true}
		}
		if i == 3 {
			m.State, m.ErrorCode = "failed", "backend"
		}
		s.messages = append(s.messages, m)
		parent = &s.messages[len(s.messages)-1].ID
	}
	return s
}

func (s sample) write(t *testing.T, w *Writer) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range s.conversations {
		must(w.WriteConversation(c))
	}
	for _, m := range s.messages {
		must(w.WriteMessage(m))
	}
	for _, m := range s.memories {
		must(w.WriteMemory(m))
	}
	for _, c := range s.collections {
		must(w.WriteCollection(c))
	}
	for _, d := range s.documents {
		must(w.WriteDocument(d))
	}
	for _, c := range s.chunks {
		must(w.WriteChunk(c))
	}
	must(w.WriteSettings(s.settings))
	for _, k := range s.apiKeys {
		must(w.WriteAPIKey(k))
	}
	for _, c := range s.connectors {
		must(w.WriteConnector(c))
	}
	for _, p := range s.passkeys {
		must(w.WritePasskey(p))
	}
	for _, d := range s.documents {
		if d.File != "" {
			must(w.WriteDocumentFile(d.ID, d.SizeBytes, bytes.NewReader(s.files[d.ID])))
		}
	}
	must(w.Close())
}

// readAll reads a bundle back into a sample.
func readAll(r *Reader) (sample, error) {
	got := sample{manifest: r.Manifest(), files: map[uuid.UUID][]byte{}}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		switch rec.Kind {
		case KindConversation:
			got.conversations = append(got.conversations, *rec.Conversation)
		case KindMessage:
			got.messages = append(got.messages, *rec.Message)
		case KindMemory:
			got.memories = append(got.memories, *rec.Memory)
		case KindCollection:
			got.collections = append(got.collections, *rec.Collection)
		case KindDocument:
			got.documents = append(got.documents, *rec.Document)
		case KindChunk:
			got.chunks = append(got.chunks, *rec.Chunk)
		case KindSettings:
			got.settings = *rec.Settings
		case KindAPIKey:
			got.apiKeys = append(got.apiKeys, *rec.APIKey)
		case KindConnector:
			got.connectors = append(got.connectors, *rec.Connector)
		case KindPasskey:
			got.passkeys = append(got.passkeys, *rec.Passkey)
		case KindFile:
			data, err := io.ReadAll(rec.File)
			if err != nil {
				return got, err
			}
			got.files[rec.DocumentID] = data
		default:
			return got, fmt.Errorf("unexpected kind %q", rec.Kind)
		}
	}
}

func compareSample(t *testing.T, want, got sample) {
	t.Helper()
	want.manifest.Format, want.manifest.Version = FormatName, Version
	if !reflect.DeepEqual(want, got) {
		wj, _ := json.MarshalIndent(want.messages[:min(3, len(want.messages))], "", " ")
		gj, _ := json.MarshalIndent(got.messages[:min(3, len(got.messages))], "", " ")
		t.Fatalf("round trip differs\nmanifest want %+v\n got %+v\nfirst messages want %s\n got %s", want.manifest, got.manifest, wj, gj)
	}
}

func TestRoundTripPlain(t *testing.T) {
	// Enough messages for several parts of messages-*.jsonl.
	s := newSample(30_000)
	var buf bytes.Buffer
	w, err := NewWriter(&buf, s.manifest)
	if err != nil {
		t.Fatal(err)
	}
	s.write(t, w)
	r, err := NewReader(bytes.NewReader(buf.Bytes()), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(r)
	if err != nil {
		t.Fatal(err)
	}
	compareSample(t, s, got)
	parts := 0
	for _, f := range r.Checksums() {
		if strings.HasPrefix(f.Name, "messages-") {
			parts++
		}
	}
	if parts < 2 {
		t.Fatalf("messages in %d parts; the test wants several", parts)
	}
	if n := w.Records()[KindMessage]; n != 30_000 {
		t.Fatalf("writer counted %d messages", n)
	}
}

func TestRoundTripAge(t *testing.T) {
	s := newSample(50)
	pass, err := PassphraseRecipient("correct horse battery staple", 10)
	if err != nil {
		t.Fatal(err)
	}
	key, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	recipient, err := ParseRecipient(key.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	passID, err := PassphraseIdentity("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		recipient age.Recipient
		identity  age.Identity
	}{
		{"passphrase", pass, passID},
		{"x25519", recipient, key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewEncryptedWriter(&buf, s.manifest, tt.recipient)
			if err != nil {
				t.Fatal(err)
			}
			s.write(t, w)
			if bytes.Contains(buf.Bytes(), []byte("likes tea")) || bytes.Contains(buf.Bytes(), []byte(ManifestName)) {
				t.Fatal("plaintext in the encrypted bundle")
			}
			r, err := NewEncryptedReader(bytes.NewReader(buf.Bytes()), Limits{}, tt.identity)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(r)
			if err != nil {
				t.Fatal(err)
			}
			compareSample(t, s, got)
		})
	}
}
