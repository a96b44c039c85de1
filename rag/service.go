package rag

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"confidant/internal/jobqueue"
	"confidant/store"
)

// Options configure the documents service; zero values take defaults.
type Options struct {
	EmbedModel  string        // default sim-embed
	BatchSize   int           // texts per embeddings request, default 32
	MaxFileSize int64         // bytes, default 10 MiB
	Workers     int           // documents ingested at once per replica, default 2
	MaxAttempts int           // tries per document before it fails, default 5
	JobTimeout  time.Duration // one try of one document, default 10 minutes
	Chunking    ChunkOptions
	Now         func() time.Time
	Log         *slog.Logger
	// PollInterval is how often idle workers look for new jobs besides
	// being notified; tests shorten it.
	PollInterval time.Duration
	// RetryDelay, when set, replaces River's growing retry delays (1 s,
	// 16 s, 81 s, … for attempts 1, 2, 3) with a fixed one; tests use it.
	RetryDelay time.Duration
}

func (o *Options) defaults() {
	if o.EmbedModel == "" {
		o.EmbedModel = "sim-embed"
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 32
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = 10 << 20
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = 10 * time.Minute
	}
	if o.Chunking.MaxWords <= 0 {
		o.Chunking = DefaultChunkOptions()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Service is the documents side of the app: uploads, background ingestion
// on River, job status and retrieval.
type Service struct {
	store     *store.Store
	river     *river.Client[pgx.Tx]
	opt       Options
	retriever *Retriever
}

// queueDocuments is the River queue ingestion jobs run on.
const queueDocuments = "documents"

// ingestArgs is one document's ingestion job.
type ingestArgs struct {
	UserID     uuid.UUID `json:"user_id"`
	DocumentID uuid.UUID `json:"document_id"`
}

func (ingestArgs) Kind() string { return "ingest_document" }

type ingestWorker struct {
	river.WorkerDefaults[ingestArgs]
	in      *Ingester
	timeout time.Duration
}

func (w *ingestWorker) Timeout(*river.Job[ingestArgs]) time.Duration { return w.timeout }

// Work ingests the document; on the last try, an error that is not the
// file's fault still marks the document failed, so nothing stays
// "processing" for ever.
func (w *ingestWorker) Work(ctx context.Context, job *river.Job[ingestArgs]) error {
	err := w.in.Ingest(ctx, job.Args.UserID, job.Args.DocumentID)
	if err == nil {
		return nil
	}
	w.in.Log.Warn("document ingestion failed", "document", job.Args.DocumentID, "attempt", job.Attempt, "err", err)
	if job.Attempt >= job.MaxAttempts {
		if ferr := w.in.fail(context.WithoutCancel(ctx), job.Args.UserID, job.Args.DocumentID, ErrEmbedding); ferr != nil {
			return errors.Join(err, ferr)
		}
	}
	return err
}

// NewService builds the service and its River client on pool. Start runs
// the workers.
func NewService(pool *pgxpool.Pool, st *store.Store, embedder Embedder, opt Options) (*Service, error) {
	opt.defaults()
	in := &Ingester{Store: st, Embedder: embedder, Model: opt.EmbedModel, BatchSize: opt.BatchSize, Chunking: opt.Chunking, Now: opt.Now, Log: opt.Log}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &ingestWorker{in: in, timeout: opt.JobTimeout}); err != nil {
		return nil, fmt.Errorf("rag: %w", err)
	}
	client, err := jobqueue.NewClient(pool, jobqueue.Config{Queue: queueDocuments, Workers: opt.Workers, JobTimeout: opt.JobTimeout,
		PollInterval: opt.PollInterval, RetryDelay: opt.RetryDelay, Log: opt.Log}, workers)
	if err != nil {
		return nil, fmt.Errorf("rag: %w", err)
	}
	return &Service{store: st, river: client, opt: opt, retriever: &Retriever{Store: st, Embedder: embedder, Model: opt.EmbedModel, Log: opt.Log}}, nil
}

// Search returns the passages of the user's documents that best match
// query, best first (see Retriever.Search). Chat can cite from these:
// each result names its document, chunk and heading.
func (s *Service) Search(ctx context.Context, userID uuid.UUID, query string, opt SearchOptions) ([]Result, error) {
	return s.retriever.Search(ctx, userID, query, opt)
}

// Passage returns one of the user's passages with its document's name:
// what a citation opens. Another user's chunk gives store.ErrNotFound.
func (s *Service) Passage(ctx context.Context, userID, chunkID uuid.UUID) (Result, error) {
	chunks, err := s.store.ChunksByIDs(ctx, userID, []uuid.UUID{chunkID})
	if err != nil {
		return Result{}, err
	}
	c, ok := chunks[chunkID]
	if !ok {
		return Result{}, fmt.Errorf("passage: %w", store.ErrNotFound)
	}
	d, err := s.store.Document(ctx, userID, c.DocumentID)
	if err != nil {
		return Result{}, err
	}
	return Result{DocumentID: d.ID, DocumentName: d.Name, ChunkID: c.ID, Ordinal: c.Ordinal, Heading: c.Heading, Text: c.Text}, nil
}

// Start runs the ingestion workers until Stop.
func (s *Service) Start(ctx context.Context) error {
	if err := s.river.Start(ctx); err != nil {
		return fmt.Errorf("rag: start workers: %w", err)
	}
	return nil
}

// Stop lets running ingestions finish until ctx ends. A document cut off
// is retried by whichever replica runs next.
func (s *Service) Stop(ctx context.Context) error {
	if err := s.river.Stop(ctx); err != nil {
		return fmt.Errorf("rag: stop workers: %w", err)
	}
	return nil
}

// MaxFileSize is the largest file an upload may hold.
func (s *Service) MaxFileSize() int64 { return s.opt.MaxFileSize }

// Upload is one file of an upload request.
type Upload struct {
	Name    string
	Content []byte
}

// UploadResult is what became of each file of an upload, in order.
type UploadResult struct {
	JobID *uuid.UUID // nil when no file was accepted
	Files []UploadedFile
}

// UploadedFile is one file's outcome: a queued document, or a refusal.
type UploadedFile struct {
	Name     string
	Document *store.Document
	Err      *FileError
}

// Upload checks each file, stores those that pass as queued documents of a
// new job, and queues their ingestion in the same transaction. Files
// refused here (too large, unsupported, empty) are reported and not
// stored; problems found while reading a file are reported on its
// document.
func (s *Service) Upload(ctx context.Context, userID uuid.UUID, files []Upload) (UploadResult, error) {
	var res UploadResult
	var docs []store.NewDocument
	now := s.opt.Now()
	for _, f := range files {
		f.Name = cleanName(f.Name)
		out := UploadedFile{Name: f.Name}
		kind, err := s.check(f)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				return UploadResult{}, err
			}
			out.Err = fe
			res.Files = append(res.Files, out)
			continue
		}
		id, err := uuid.NewV7()
		if err != nil {
			return UploadResult{}, err
		}
		d := store.Document{ID: id, UserID: userID, Name: f.Name, Kind: kind, Size: int64(len(f.Content)), Status: store.DocumentQueued, CreatedAt: now, UpdatedAt: now}
		docs = append(docs, store.NewDocument{Document: d, Content: f.Content})
		res.Files = append(res.Files, out)
	}
	if len(docs) == 0 {
		return res, nil
	}
	jobID, err := uuid.NewV7()
	if err != nil {
		return UploadResult{}, err
	}
	for i := range docs {
		docs[i].JobID = &jobID
	}
	params := make([]river.InsertManyParams, len(docs))
	for i, d := range docs {
		params[i] = river.InsertManyParams{Args: ingestArgs{UserID: userID, DocumentID: d.ID},
			InsertOpts: &river.InsertOpts{Queue: queueDocuments, MaxAttempts: s.opt.MaxAttempts}}
	}
	err = s.store.CreateIngestJob(ctx, userID, jobID, docs, now, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := s.river.InsertManyTx(ctx, tx, params); err != nil {
			return fmt.Errorf("queue ingestion: %w", err)
		}
		return nil
	})
	if err != nil {
		return UploadResult{}, err
	}
	res.JobID = &jobID
	n := 0
	for i := range res.Files {
		if res.Files[i].Err == nil {
			res.Files[i].Document = &docs[n].Document
			n++
		}
	}
	return res, nil
}

// maxNameRunes bounds a stored file name.
const maxNameRunes = 255

// cleanName is a file name as stored: valid UTF-8, without control
// characters, at most maxNameRunes long, never empty.
func cleanName(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, "\uFFFD"))
	name = strings.TrimSpace(name)
	if r := []rune(name); len(r) > maxNameRunes {
		ext := []rune(path.Ext(name)) // kept: it says the file's kind
		if len(ext) > 16 {
			ext = nil
		}
		name = string(r[:maxNameRunes-len(ext)]) + string(ext)
	}
	if name == "" {
		return "untitled"
	}
	return name
}

// check refuses what can be told without reading the file through.
func (s *Service) check(f Upload) (string, error) {
	if int64(len(f.Content)) > s.opt.MaxFileSize {
		return "", ErrTooLarge
	}
	if len(f.Content) == 0 {
		return "", ErrEmpty
	}
	return DetectKind(f.Name, f.Content)
}

// Job states, as GET /api/jobs/{id} reports them.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// JobStatus is an upload batch's progress.
type JobStatus struct {
	ID          uuid.UUID
	State       string
	Documents   []store.Document
	Total       int // documents
	Ready       int
	Failed      int
	ChunksDone  int
	ChunksTotal int
}

// Job reports one of the user's upload batches: done when every document
// ended (some may have failed, each with its message), failed when all did.
func (s *Service) Job(ctx context.Context, userID, id uuid.UUID) (JobStatus, error) {
	j, err := s.store.Job(ctx, userID, id)
	if err != nil {
		return JobStatus{}, err
	}
	st := JobStatus{ID: j.ID, Documents: j.Documents, Total: len(j.Documents)}
	queued := 0
	for _, d := range j.Documents {
		switch d.Status {
		case store.DocumentReady:
			st.Ready++
		case store.DocumentFailed:
			st.Failed++
		case store.DocumentQueued:
			queued++
		}
		st.ChunksDone += d.ChunksDone
		st.ChunksTotal += d.ChunksTotal
	}
	switch {
	case st.Ready+st.Failed < st.Total && queued == st.Total:
		st.State = JobQueued
	case st.Ready+st.Failed < st.Total:
		st.State = JobRunning
	case st.Failed == st.Total && st.Total > 0:
		st.State = JobFailed
	default:
		st.State = JobDone
	}
	return st, nil
}

// Documents lists the user's documents, newest first.
func (s *Service) Documents(ctx context.Context, userID uuid.UUID, cursor string, limit int) (store.DocumentPage, error) {
	return s.store.ListDocuments(ctx, userID, cursor, limit)
}

// Delete removes one of the user's documents with its chunks and vectors.
// A document still being ingested is deleted too: its job finds it gone.
func (s *Service) Delete(ctx context.Context, userID, id uuid.UUID) error {
	return s.store.DeleteDocument(ctx, userID, id)
}
