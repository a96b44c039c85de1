package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"confidant/inference/simbackend"
	"confidant/internal/testdb"
	"confidant/store"
)

// mustDocument stores a ready document with one chunk per text, embedded
// with sim-embed.
func mustDocument(t *testing.T, s *store.Store, userID uuid.UUID, name string, texts ...string) store.Document {
	t.Helper()
	ctx := context.Background()
	id, _ := uuid.NewV7()
	jobID, _ := uuid.NewV7()
	now := time.Now().UTC().Truncate(time.Microsecond)
	doc := store.NewDocument{Document: store.Document{ID: id, Name: name, Kind: "text"}, Content: []byte("file of " + name)}
	if err := s.CreateIngestJob(ctx, userID, jobID, []store.NewDocument{doc}, now, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DocumentContent(ctx, userID, id, now); err != nil {
		t.Fatal(err)
	}
	var chunks []store.NewChunk
	for i, text := range texts {
		cid, _ := uuid.NewV7()
		chunks = append(chunks, store.NewChunk{ID: cid, Ordinal: i, Heading: name, Text: text, Embedding: simbackend.Embed(text)})
	}
	if err := s.CompleteDocument(ctx, userID, id, chunks, now); err != nil {
		t.Fatal(err)
	}
	d, err := s.Document(ctx, userID, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDocumentsAndChunks(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	garden := mustDocument(t, s, alice.ID, "garden.txt", "Tomatoes need full sun and deep watering.", "Basil grows well next to tomatoes.")
	taxes := mustDocument(t, s, alice.ID, "taxes.md", "File the return before April 15 to avoid penalties.")
	mustDocument(t, s, bob.ID, "bob.txt", "Tomatoes are bob's favourite vegetable.")

	if garden.Status != store.DocumentReady || garden.ChunksTotal != 2 || garden.ChunksDone != 2 || garden.Name != "garden.txt" {
		t.Fatalf("garden document = %+v", garden)
	}
	// The original file stays, sealed, once the chunks are stored: exports carry it.
	if content, err := s.DocumentContent(ctx, alice.ID, garden.ID, time.Now()); err != nil || string(content) != "file of garden.txt" {
		t.Fatalf("file after ingestion: %q %v", content, err)
	}
	if _, err := s.DocumentContent(ctx, bob.ID, garden.ID, time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob reads alice's file: %v", err)
	}
	if _, err := s.Document(ctx, bob.ID, garden.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob reads alice's document: %v", err)
	}

	hits, err := s.SearchChunkVectors(ctx, alice.ID, simbackend.Embed("where do tomatoes grow"), store.VectorSearch{K: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 3 || hits[0].DocumentID != garden.ID {
		t.Fatalf("vector hits = %+v", hits)
	}
	for i := 1; i < len(hits); i++ {
		if hits[i].Score > hits[i-1].Score {
			t.Fatalf("hits not sorted: %+v", hits)
		}
	}
	only, err := s.SearchChunkVectors(ctx, alice.ID, simbackend.Embed("tomatoes"), store.VectorSearch{K: 5, DocumentID: &taxes.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(only) != 1 || only[0].DocumentID != taxes.ID {
		t.Fatalf("document filter: %+v", only)
	}
	kw, err := s.SearchChunkKeywords(ctx, alice.ID, "basil tomatoes", 5, store.ChunkScope{})
	if err != nil {
		t.Fatal(err)
	}
	// Both chunks have "tomatoes"; only one also has the rarer "basil".
	if len(kw) != 2 || kw[0].Score <= kw[1].Score {
		t.Fatalf("keyword hits = %+v", kw)
	}
	chunks, err := s.ChunksByIDs(ctx, alice.ID, []uuid.UUID{kw[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if c := chunks[kw[0].ID]; c.Text != "Basil grows well next to tomatoes." || c.Heading != "garden.txt" {
		t.Fatalf("chunk = %+v", c)
	}
	if other, _ := s.ChunksByIDs(ctx, bob.ID, []uuid.UUID{kw[0].ID}); len(other) != 0 {
		t.Fatal("bob reads alice's chunk")
	}

	// Deleting a document removes its chunks, vectors and tokens.
	if err := s.DeleteDocument(ctx, bob.ID, garden.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob deletes alice's document: %v", err)
	}
	if err := s.DeleteDocument(ctx, alice.ID, garden.ID); err != nil {
		t.Fatal(err)
	}
	if kw, _ := s.SearchChunkKeywords(ctx, alice.ID, "basil", 5, store.ChunkScope{}); len(kw) != 0 {
		t.Fatalf("tokens left after delete: %+v", kw)
	}
	if hits, _ := s.SearchChunkVectors(ctx, alice.ID, simbackend.Embed("tomatoes"), store.VectorSearch{K: 5}); len(hits) != 1 {
		t.Fatalf("vectors left after delete: %+v", hits)
	}

	page, err := s.ListDocuments(ctx, alice.ID, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ID != taxes.ID || page.Next != "" {
		t.Fatalf("list = %+v", page)
	}
}

func TestFailedDocumentLeavesNothing(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	d := mustDocument(t, s, alice.ID, "notes.txt", "A passage about sailing boats.")
	if err := s.FailDocument(ctx, alice.ID, d.ID, "not_utf8", "the file is not UTF-8 text", time.Now()); err != nil {
		t.Fatal(err)
	}
	got, err := s.Document(ctx, alice.ID, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.DocumentFailed || got.Error != "the file is not UTF-8 text" || got.ErrorCode != "not_utf8" || got.ChunksTotal != 0 {
		t.Fatalf("failed document = %+v", got)
	}
	if kw, _ := s.SearchChunkKeywords(ctx, alice.ID, "sailing", 5, store.ChunkScope{}); len(kw) != 0 {
		t.Fatal("a failed document keeps chunks")
	}

	// Deleting the user removes documents and chunks through the foreign keys.
	mustDocument(t, s, alice.ID, "more.txt", "Another passage.")
	if err := s.DeleteUser(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
}

func TestDocumentListPagination(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	want := map[uuid.UUID]bool{}
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		want[mustDocument(t, s, alice.ID, name, "text "+name).ID] = true
	}
	cursor, seen := "", 0
	for {
		page, err := s.ListDocuments(ctx, alice.ID, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Items {
			if !want[d.ID] {
				t.Fatalf("unexpected or repeated document %s", d.ID)
			}
			delete(want, d.ID)
			seen++
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if seen != 5 {
		t.Fatalf("saw %d documents", seen)
	}
}

// TestVectorSearchThroughHNSW checks the index path: a user's search walks
// the HNSW index over every user's vectors (filtered to the user) and
// agrees with exact search; when the scan gives up before finding enough
// of the user's vectors, the answer falls back to exact and is complete.
func TestVectorSearchThroughHNSW(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, url := testdb.NewWithURL(t)
	// One connection, so this test reads its own index statistics; the
	// planner is steered off sequential scans and sorts, which win on a
	// table this small.
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	cfg.ConnConfig.RuntimeParams["enable_seqscan"] = "off"
	cfg.ConnConfig.RuntimeParams["enable_sort"] = "off"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	kr, reg := testdb.Keys(t)
	s := store.New(pool, kr, reg)
	alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	for _, u := range []struct {
		id   uuid.UUID
		n    int
		name string
	}{{alice.ID, 150, "alice"}, {bob.ID, 1500, "bob"}} {
		var texts []string
		for i := range u.n {
			texts = append(texts, fmt.Sprintf("%s note %d about topic %d and theme %d", u.name, i, i%37, i%11))
		}
		mustDocument(t, s, u.id, u.name+".txt", texts...)
	}
	indexScans := func() int64 {
		var n int64
		if _, err := pool.Exec(ctx, `SELECT pg_stat_force_next_flush()`); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow(ctx, `SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'chunks_embedding'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	q := simbackend.Embed("note about topic 5 and theme 3")
	exact, err := s.SearchChunkVectors(ctx, alice.ID, q, store.VectorSearch{K: 10, ExactMax: 1 << 30})
	if err != nil || len(exact) != 10 {
		t.Fatalf("exact: %d hits, %v", len(exact), err)
	}
	before := indexScans()
	approx, err := s.SearchChunkVectors(ctx, alice.ID, q, store.VectorSearch{K: 10, ExactMax: 1})
	if err != nil {
		t.Fatal(err)
	}
	if after := indexScans(); after <= before {
		t.Fatalf("the HNSW index was not used (idx_scan %d → %d)", before, after)
	}
	same := 0
	for _, h := range approx {
		for _, e := range exact {
			if h.ID == e.ID {
				same++
			}
		}
	}
	if len(approx) != 10 || same < 8 {
		t.Fatalf("HNSW found %d hits, %d of the exact top 10", len(approx), same)
	}
	// A scan allowed 5 index tuples cannot find 10 of alice's vectors.
	fallback, err := s.SearchChunkVectors(ctx, alice.ID, q, store.VectorSearch{K: 10, ExactMax: 1, MaxScanTuples: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(fallback) != 10 {
		t.Fatalf("fallback found %d hits", len(fallback))
	}
	for i := range fallback {
		if fallback[i].ID != exact[i].ID {
			t.Fatalf("fallback hit %d differs from exact search", i)
		}
	}
}
