// Package imports brings exports from other chat apps and Confidant
// bundles into a user's account: as background jobs on River's "imports"
// queue that resume where they were cut off, or at once for fork-to-fork
// transfer. Importing the same file twice adds nothing the second time.
package imports

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"confidant/internal/jobqueue"
	"confidant/portability/importer"
	"confidant/store"
)

// Options configure the service; zero values take defaults.
type Options struct {
	MaxFileSize   int64         // bytes, default 512 MiB
	BatchMessages int           // messages written per transaction, default 2,000
	Workers       int           // imports run at once per replica, default 1
	MaxAttempts   int           // tries before an import fails, default 5
	JobTimeout    time.Duration // one try, default 2 hours
	Limits        importer.Limits
	Now           func() time.Time
	Log           *slog.Logger
	// PollInterval and RetryDelay shorten River's waits in tests.
	PollInterval time.Duration
	RetryDelay   time.Duration
	// AfterBatch, when set, runs after each committed batch; an error
	// stops the import there as a crash would (tests of resuming).
	AfterBatch func(position int) error
	// Bundles imports Confidant bundles; nil refuses them.
	Bundles BundleImporter
}

// BundleImporter brings a Confidant bundle's records into an account
// (Bundles), reading the bundle of size bytes through file, which it may
// read more than once.
type BundleImporter interface {
	ImportFrom(ctx context.Context, userID uuid.UUID, file io.ReaderAt, size int64, src BundleSource) (store.ImportCounts, error)
}

func (o *Options) defaults() {
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = 512 << 20
	}
	if o.BatchMessages <= 0 {
		o.BatchMessages = 2000
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = 2 * time.Hour
	}
	o.Limits = o.Limits.WithDefaults()
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Service runs imports.
type Service struct {
	store *store.Store
	river *river.Client[pgx.Tx]
	opt   Options
}

// queueImports is the River queue imports run on.
const queueImports = "imports"

type importArgs struct {
	UserID   uuid.UUID `json:"user_id"`
	ImportID uuid.UUID `json:"import_id"`
}

func (importArgs) Kind() string { return "import" }

// New builds the service and its River client on pool; Start runs the
// workers.
func New(pool *pgxpool.Pool, st *store.Store, opt Options) (*Service, error) {
	opt.defaults()
	s := &Service{store: st, opt: opt}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &importWorker{svc: s}); err != nil {
		return nil, fmt.Errorf("imports: %w", err)
	}
	client, err := jobqueue.NewClient(pool, jobqueue.Config{Queue: queueImports, Workers: opt.Workers, JobTimeout: opt.JobTimeout,
		PollInterval: opt.PollInterval, RetryDelay: opt.RetryDelay, Log: opt.Log}, workers)
	if err != nil {
		return nil, fmt.Errorf("imports: %w", err)
	}
	s.river = client
	return s, nil
}

// Start runs the import workers until Stop.
func (s *Service) Start(ctx context.Context) error {
	if err := s.river.Start(ctx); err != nil {
		return fmt.Errorf("imports: start workers: %w", err)
	}
	return nil
}

// Stop lets running imports go on until ctx ends; one cut off resumes at
// its last batch on whichever replica runs it next.
func (s *Service) Stop(ctx context.Context) error {
	if err := s.river.Stop(ctx); err != nil {
		return fmt.Errorf("imports: stop workers: %w", err)
	}
	return nil
}

// MaxFileSize is the largest file an import takes.
func (s *Service) MaxFileSize() int64 { return s.opt.MaxFileSize }

// Submit stores an uploaded file, sealed, as a queued import and queues
// its job. What is plainly not an import (by its first bytes), a file too
// large, or a bundle without a passphrase is refused here with an
// *importer.Error; everything else is checked by the job.
func (s *Service) Submit(ctx context.Context, userID uuid.UUID, r io.Reader, passphrase string) (store.Import, error) {
	return s.SubmitStream(ctx, userID, r, func() (string, error) { return passphrase, nil })
}

// SubmitStream is Submit for a form that may send the passphrase after
// the file: passphrase is called once r is read to its end.
func (s *Service) SubmitStream(ctx context.Context, userID uuid.UUID, r io.Reader, passphrase func() (string, error)) (store.Import, error) {
	br := bufio.NewReaderSize(r, 4096)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return store.Import{}, fmt.Errorf("read import: %w", err)
	}
	format, err := importer.Sniff(head)
	if err != nil {
		return store.Import{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return store.Import{}, err
	}
	now := s.opt.Now()
	imp := store.Import{ID: id, UserID: userID, Format: string(format), State: store.ImportQueued, CreatedAt: now, UpdatedAt: now}
	limited := &sizeLimit{r: br, left: s.opt.MaxFileSize}
	askPassphrase := func() (string, error) {
		p, err := passphrase()
		if err != nil {
			return "", err
		}
		if format == importer.FormatConfidant && p == "" {
			return "", importer.ErrNeedsPassphrase
		}
		return p, nil
	}
	size, err := s.store.CreateImport(ctx, imp, limited, askPassphrase, func(ctx context.Context, tx pgx.Tx) error {
		_, err := s.river.InsertTx(ctx, tx, importArgs{UserID: userID, ImportID: id},
			&river.InsertOpts{Queue: queueImports, MaxAttempts: s.opt.MaxAttempts})
		return err
	})
	if err != nil {
		var e *importer.Error
		if errors.As(err, &e) {
			return store.Import{}, e
		}
		return store.Import{}, err
	}
	imp.Size = size
	return imp, nil
}

// Job returns one of the user's imports; another user's gives
// store.ErrNotFound.
func (s *Service) Job(ctx context.Context, userID, id uuid.UUID) (store.Import, error) {
	return s.store.Import(ctx, userID, id)
}

// sizeLimit reads at most left bytes and refuses a file with more.
type sizeLimit struct {
	r    io.Reader
	left int64
}

func (l *sizeLimit) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, importer.ErrTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, importer.ErrTooLarge
	}
	return n, err
}
