package rag_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"confidant/inference"
	"confidant/inference/simbackend"
	"confidant/internal/testdb"
	"confidant/rag"
	"confidant/store"
)

// simEmbedder is the inference client talking to the simulated backend
// over HTTP, as the app does.
func simEmbedder(t *testing.T) *inference.Client {
	t.Helper()
	srv := httptest.NewServer(simbackend.New(simbackend.Options{}))
	t.Cleanup(srv.Close)
	c, err := inference.New(inference.Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// flakyEmbedder fails its first failures calls, then passes to next.
type flakyEmbedder struct {
	next     rag.Embedder
	failures int32
	calls    atomic.Int32
}

func (f *flakyEmbedder) Embed(ctx context.Context, model string, texts []string) ([][]float32, error) {
	if f.calls.Add(1) <= f.failures {
		return nil, errors.New("backend unavailable")
	}
	return f.next.Embed(ctx, model, texts)
}

type harness struct {
	svc  *rag.Service
	st   *store.Store
	pool *pgxpool.Pool
	user uuid.UUID
}

func newHarness(t *testing.T, embedder rag.Embedder, opt rag.Options) *harness {
	t.Helper()
	t.Parallel()
	pool := testdb.New(t)
	kr, reg := testdb.Keys(t)
	st := store.New(pool, kr, reg)
	user := store.User{ID: uuid.New(), Username: "reader", DisplayName: "Reader", CreatedAt: time.Now()}
	if err := st.CreateUser(context.Background(), user); err != nil {
		t.Fatal(err)
	}
	opt.PollInterval = 50 * time.Millisecond
	opt.RetryDelay = 100 * time.Millisecond
	svc, err := rag.NewService(pool, st, embedder, opt)
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
	return &harness{svc: svc, st: st, pool: pool, user: user.ID}
}

func readFiles(t *testing.T, names ...string) []rag.Upload {
	t.Helper()
	var out []rag.Upload
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("testdata", "files", n))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rag.Upload{Name: n, Content: data})
	}
	return out
}

// waitJob polls the job until it ends.
func (h *harness) waitJob(t *testing.T, id uuid.UUID) rag.JobStatus {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err := h.svc.Job(context.Background(), h.user, id)
		if err != nil {
			t.Fatal(err)
		}
		if st.State == rag.JobDone || st.State == rag.JobFailed {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s: %+v", st.State, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestIngestBatchWithBadFiles(t *testing.T) {
	h := newHarness(t, simEmbedder(t), rag.Options{MaxFileSize: 16 << 10, BatchSize: 2})
	ctx := context.Background()
	files := readFiles(t, "guide.md", "page.html", "notes.docx", "report.pdf", "table.csv", "plain.txt", "utf16.txt",
		"encrypted.pdf", "corrupt.pdf", "bomb.docx", "encrypted.docx", "latin1.txt", "empty.txt", "blank.txt", "image.png")
	files = append(files, rag.Upload{Name: "huge.txt", Content: []byte(strings.Repeat("big ", 5000))})

	res, err := h.svc.Upload(ctx, h.user, files)
	if err != nil {
		t.Fatal(err)
	}
	if res.JobID == nil || len(res.Files) != len(files) {
		t.Fatalf("upload result %+v", res)
	}
	// Refused at upload: not stored at all.
	refused := map[string]*rag.FileError{"empty.txt": rag.ErrEmpty, "image.png": rag.ErrUnsupported, "huge.txt": rag.ErrTooLarge}
	for _, f := range res.Files {
		if want, ok := refused[f.Name]; ok {
			if f.Err == nil || f.Err.Code != want.Code || f.Document != nil {
				t.Errorf("%s: %+v, want refusal %s", f.Name, f, want.Code)
			}
		} else if f.Err != nil || f.Document == nil || f.Document.Status != store.DocumentQueued {
			t.Errorf("%s: %+v, want queued", f.Name, f)
		}
	}

	job := h.waitJob(t, *res.JobID)
	if job.State != rag.JobDone || job.Total != 13 || job.Ready != 7 || job.Failed != 6 {
		t.Fatalf("job %+v", job)
	}
	failedWith := map[string]*rag.FileError{"encrypted.pdf": rag.ErrEncrypted, "corrupt.pdf": rag.ErrCorrupt, "bomb.docx": rag.ErrZipBomb,
		"encrypted.docx": rag.ErrEncrypted, "latin1.txt": rag.ErrNotUTF8, "blank.txt": rag.ErrEmpty}
	for _, d := range job.Documents {
		if want, ok := failedWith[d.Name]; ok {
			if d.Status != store.DocumentFailed || d.Error != want.Message || d.ErrorCode != want.Code || d.ChunksTotal != 0 {
				t.Errorf("%s: status %s error %q chunks %d, want failed with %q", d.Name, d.Status, d.Error, d.ChunksTotal, want.Message)
			}
			continue
		}
		if d.Status != store.DocumentReady || d.ChunksTotal == 0 || d.ChunksDone != d.ChunksTotal {
			t.Errorf("%s: %+v, want ready", d.Name, d)
		}
	}
	if job.ChunksDone != job.ChunksTotal || job.ChunksTotal < 7 {
		t.Errorf("progress %d/%d", job.ChunksDone, job.ChunksTotal)
	}

	// Failed files left nothing searchable: the encrypted PDF's words.
	hits, err := h.st.SearchChunkKeywords(ctx, h.user, "secret plans boom", 10, store.ChunkScope{})
	if err != nil || len(hits) != 0 {
		t.Fatalf("failed files left chunks: %+v %v", hits, err)
	}

	results, err := h.svc.Search(ctx, h.user, "which tram climbs to the castle", rag.SearchOptions{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 || results[0].DocumentName != "notes.docx" || results[0].Heading != "Travel notes > Lisbon" ||
		!strings.Contains(results[0].Text, "number 28") {
		t.Fatalf("search results %+v", results)
	}
}

func TestIngestRetriesThenSucceeds(t *testing.T) {
	flaky := &flakyEmbedder{next: simEmbedder(t), failures: 2}
	h := newHarness(t, flaky, rag.Options{})
	res, err := h.svc.Upload(context.Background(), h.user, readFiles(t, "guide.md"))
	if err != nil {
		t.Fatal(err)
	}
	job := h.waitJob(t, *res.JobID)
	if job.State != rag.JobDone || job.Ready != 1 {
		t.Fatalf("job %+v", job)
	}
	if flaky.calls.Load() < 3 {
		t.Fatalf("embedder called %d times: no retry happened", flaky.calls.Load())
	}
}

func TestIngestGivesUpAfterMaxAttempts(t *testing.T) {
	broken := &flakyEmbedder{next: simEmbedder(t), failures: 1 << 30}
	h := newHarness(t, broken, rag.Options{MaxAttempts: 2})
	res, err := h.svc.Upload(context.Background(), h.user, readFiles(t, "guide.md", "plain.txt"))
	if err != nil {
		t.Fatal(err)
	}
	job := h.waitJob(t, *res.JobID)
	if job.State != rag.JobFailed || job.Failed != 2 {
		t.Fatalf("job %+v", job)
	}
	for _, d := range job.Documents {
		if d.Error != rag.ErrEmbedding.Message || d.ChunksTotal != 0 {
			t.Fatalf("document %+v", d)
		}
	}
	if got := broken.calls.Load(); got != 4 {
		t.Fatalf("embedder called %d times, want 2 documents × 2 attempts", got)
	}
}

// Deleting the account removes its documents, files, chunks, vectors and
// jobs with it.
func TestDeleteUserRemovesDocuments(t *testing.T) {
	h := newHarness(t, simEmbedder(t), rag.Options{})
	ctx := context.Background()
	res, err := h.svc.Upload(ctx, h.user, readFiles(t, "guide.md", "notes.docx"))
	if err != nil {
		t.Fatal(err)
	}
	h.waitJob(t, *res.JobID)
	count := func() (n int) {
		err := h.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM documents) + (SELECT count(*) FROM chunks) +
			(SELECT count(*) FROM document_blobs) + (SELECT count(*) FROM jobs)`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count() < 5 {
		t.Fatalf("only %d rows before the delete: the check would prove nothing", count())
	}
	if err := h.st.DeleteUser(ctx, h.user); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d rows left after deleting the user", n)
	}
}

// wideEmbedder answers with vectors of another size, as a misconfigured
// embedding model does.
type wideEmbedder struct{ calls atomic.Int32 }

func (w *wideEmbedder) Embed(_ context.Context, _ string, texts []string) ([][]float32, error) {
	w.calls.Add(1)
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = make([]float32, 768)
		out[i][0] = 1
	}
	return out, nil
}

// An embedding model of the wrong size fails the document once, with a
// message naming the fix, instead of retrying; search falls back to
// keywords instead of failing.
func TestWrongEmbeddingSize(t *testing.T) {
	wide := &wideEmbedder{}
	h := newHarness(t, wide, rag.Options{})
	res, err := h.svc.Upload(context.Background(), h.user, readFiles(t, "guide.md"))
	if err != nil {
		t.Fatal(err)
	}
	job := h.waitJob(t, *res.JobID)
	if job.Failed != 1 || job.Documents[0].ErrorCode != rag.ErrEmbeddingSize.Code {
		t.Fatalf("job %+v", job)
	}
	if n := wide.calls.Load(); n != 1 {
		t.Errorf("embedder called %d times; a size mismatch is not retried", n)
	}
	if _, err := h.svc.Search(context.Background(), h.user, "tomatoes", rag.SearchOptions{}); err != nil {
		t.Errorf("search with the wrong model: %v", err)
	}
}
