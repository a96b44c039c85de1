package imports

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"confidant/portability/importer"
	"confidant/store"
)

type importWorker struct {
	river.WorkerDefaults[importArgs]
	svc *Service
}

func (w *importWorker) Timeout(*river.Job[importArgs]) time.Duration { return w.svc.opt.JobTimeout }

// ErrInternal is what the owner reads when an import gave up for a reason
// that is not the file's.
const errInternalMessage = "The import stopped because of a problem on this server. What it imported so far is kept; importing the file again adds the rest."

// Work runs one try of an import. A refused file fails the import at once
// (retrying would not help); other errors are retried, and the last try
// fails it.
func (w *importWorker) Work(ctx context.Context, job *river.Job[importArgs]) error {
	s, a := w.svc, job.Args
	err := s.run(ctx, a.UserID, a.ImportID)
	if err == nil {
		return nil
	}
	now := s.opt.Now()
	if e, ok := importer.AsError(err); ok {
		s.opt.Log.Info("import refused", "import", a.ImportID, "code", e.Code)
		if ferr := s.store.FailImport(context.WithoutCancel(ctx), a.UserID, a.ImportID, e.Code, e.Message, now); ferr != nil {
			return errors.Join(err, ferr)
		}
		return river.JobCancel(err)
	}
	s.opt.Log.Warn("import failed", "import", a.ImportID, "attempt", job.Attempt, "err", err)
	if job.Attempt >= job.MaxAttempts {
		if ferr := s.store.FailImport(context.WithoutCancel(ctx), a.UserID, a.ImportID, "internal", errInternalMessage, now); ferr != nil {
			return errors.Join(err, ferr)
		}
	}
	return err
}

// run imports one stored import from where its last committed batch
// ended: first a pass that validates the whole file and writes nothing,
// then the writes, batch by batch.
func (s *Service) run(ctx context.Context, userID, importID uuid.UUID) error {
	imp, err := s.store.Import(ctx, userID, importID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // the user (or the import) is gone
	}
	if err != nil {
		return err
	}
	if imp.State == store.ImportDone || imp.State == store.ImportFailed {
		return nil
	}
	file, err := s.store.OpenImportFile(ctx, userID, importID)
	if err != nil {
		return err
	}
	f, err := importer.OpenReader(file, file.Size(), s.opt.Limits)
	if err != nil {
		return err
	}
	if f.Format == importer.FormatConfidant {
		if err := s.store.StartImport(ctx, userID, importID, string(f.Format), 0, s.opt.Now()); err != nil {
			return err
		}
		counts, err := s.importBundle(ctx, userID, file, file.Size(), file.Passphrase())
		if err != nil {
			return err
		}
		return s.store.FinishImport(ctx, userID, importID, counts, s.opt.Now())
	}
	total, _, err := f.Count()
	if err != nil {
		return err
	}
	if err := s.store.StartImport(ctx, userID, importID, string(f.Format), total, s.opt.Now()); err != nil {
		return err
	}
	counts, err := s.writeConversations(ctx, userID, f, &importID, imp.Position, imp.Counts)
	if err != nil {
		return err
	}
	return s.store.FinishImport(ctx, userID, importID, counts, s.opt.Now())
}

func (s *Service) importBundle(ctx context.Context, userID uuid.UUID, file io.ReaderAt, size int64, passphrase string) (store.ImportCounts, error) {
	if s.opt.Bundles == nil {
		return store.ImportCounts{}, importer.ErrUnsupported
	}
	return s.opt.Bundles.ImportFrom(ctx, userID, file, size, BundleSource{Passphrase: passphrase})
}

// Import brings the export or bundle read from r into the user's account
// at once, without a job, and returns what it added and skipped: what
// fork-to-fork transfer calls. Like a job, it keeps the file sealed in the
// store (never whole in memory), validates it before writing and is
// idempotent; refusals are *importer.Error.
func (s *Service) Import(ctx context.Context, userID uuid.UUID, r io.Reader, passphrase string) (store.ImportCounts, error) {
	file, end, err := s.spool(ctx, userID, r, "")
	if err != nil {
		return store.ImportCounts{}, err
	}
	counts, err := s.importSpooled(ctx, userID, file, passphrase)
	end(counts, err)
	return counts, err
}

func (s *Service) importSpooled(ctx context.Context, userID uuid.UUID, file *store.ImportFile, passphrase string) (store.ImportCounts, error) {
	f, err := importer.OpenReader(file, file.Size(), s.opt.Limits)
	if err != nil {
		return store.ImportCounts{}, err
	}
	if f.Format == importer.FormatConfidant {
		return s.importBundle(ctx, userID, file, file.Size(), passphrase)
	}
	if _, _, err := f.Count(); err != nil {
		return store.ImportCounts{}, err
	}
	return s.writeConversations(ctx, userID, f, nil, 0, store.ImportCounts{})
}
