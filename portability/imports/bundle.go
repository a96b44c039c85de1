package imports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"filippo.io/age"
	"github.com/google/uuid"

	"confidant/connectors"
	"confidant/portability/bundle"
	"confidant/portability/importer"
	"confidant/rag"
	"confidant/store"
)

// Embedder computes embeddings: this deployment's model, since a bundle
// carries none.
type Embedder interface {
	Embed(ctx context.Context, model string, texts []string) ([][]float32, error)
}

// DocumentUploader re-ingests a document's original file (rag.Service).
type DocumentUploader interface {
	Upload(ctx context.Context, userID uuid.UUID, files []rag.Upload) (rag.UploadResult, error)
}

// Bundles imports Confidant bundles: every record comes back under new
// ids (so a bundle can go into any account of any deployment), with
// memories and document passages embedded again by this deployment and
// original files ingested again. API keys and passkeys are not recreated
// (they would be working credentials): they are counted as skipped, and
// so are connectors, whose accounts must be connected again.
type Bundles struct {
	Store      *store.Store
	Embedder   Embedder // nil: memories and passages cannot be embedded, so are skipped
	EmbedModel string   // default sim-embed
	Documents  DocumentUploader
	Limits     bundle.Limits
	Now        func() time.Time
	// AfterFlush, when set, runs after each batch of records is written;
	// an error stops the import there as a crash would (tests of
	// resuming: a bundle import resumes by running again, and what was
	// written is skipped).
	AfterFlush func(kind bundle.Kind) error
	// Connect connects a mail or calendar account again from a bundle that
	// carries its credentials; nil leaves every connection for the person
	// to connect again.
	Connect func(ctx context.Context, userID uuid.UUID, s connectors.Settings) (uuid.UUID, error)
}

// BundleSource says how to open a bundle: an age passphrase, age
// identities, or neither for a plain tar stream (what fork-to-fork
// transfer carries inside its own encryption).
type BundleSource struct {
	Passphrase string
	Identities []age.Identity
}

// Import reads the bundle twice: first whole, to check every checksum
// (nothing is written when it is damaged, truncated or hostile), then to
// write its records.
func (b *Bundles) Import(ctx context.Context, userID uuid.UUID, data []byte, src BundleSource) (store.ImportCounts, error) {
	return b.ImportFrom(ctx, userID, bytes.NewReader(data), int64(len(data)), src)
}

// ImportFrom is Import for a bundle of size bytes read through file: each
// pass streams it from the start, so neither holds the bundle. A failure
// to read file is returned as it is (to retry), never as a damaged
// bundle.
func (b *Bundles) ImportFrom(ctx context.Context, userID uuid.UUID, file io.ReaderAt, size int64, src BundleSource) (store.ImportCounts, error) {
	read := &readTracker{r: file}
	counts, err := b.importFrom(ctx, userID, io.NewSectionReader(read, 0, size), io.NewSectionReader(read, 0, size), src)
	if err != nil {
		if rerr := read.failure(); rerr != nil {
			return store.ImportCounts{}, fmt.Errorf("read bundle: %w", rerr)
		}
		return store.ImportCounts{}, err
	}
	return counts, nil
}

// importFrom checks the bundle read from check, then writes the one read
// from write: the same bundle, read again.
func (b *Bundles) importFrom(ctx context.Context, userID uuid.UUID, check, write io.Reader, src BundleSource) (store.ImportCounts, error) {
	r, err := b.open(check, src)
	if err != nil {
		return store.ImportCounts{}, err
	}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return store.ImportCounts{}, bundleError(err)
		}
		if rec.File != nil {
			if _, err := io.Copy(io.Discard, rec.File); err != nil {
				return store.ImportCounts{}, bundleError(err)
			}
		}
	}
	r, err = b.open(write, src)
	if err != nil {
		return store.ImportCounts{}, err
	}
	w := newBundleWriter(b, userID, r.Manifest().User.ID.String())
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return store.ImportCounts{}, bundleError(err)
		}
		if err := w.add(ctx, rec); err != nil {
			return store.ImportCounts{}, err
		}
	}
	if err := w.finish(ctx); err != nil {
		return store.ImportCounts{}, err
	}
	return w.counts, nil
}

// readTracker notes the first failure to read a stored bundle (not its
// end), which a bundle reader would otherwise report as a damaged bundle.
type readTracker struct {
	r   io.ReaderAt
	mu  sync.Mutex
	err error
}

func (t *readTracker) ReadAt(p []byte, off int64) (int, error) {
	n, err := t.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		t.mu.Lock()
		if t.err == nil {
			t.err = err
		}
		t.mu.Unlock()
	}
	return n, err
}

func (t *readTracker) failure() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

func (b *Bundles) open(data io.Reader, src BundleSource) (*bundle.Reader, error) {
	ids := src.Identities
	if src.Passphrase != "" {
		id, err := bundle.PassphraseIdentity(src.Passphrase)
		if err != nil {
			return nil, importer.ErrPassphrase
		}
		ids = append(ids, id)
	}
	var r *bundle.Reader
	var err error
	if len(ids) == 0 {
		r, err = bundle.NewReader(data, b.Limits)
	} else {
		r, err = bundle.NewEncryptedReader(data, b.Limits, ids...)
	}
	if err != nil {
		return nil, bundleError(err)
	}
	return r, nil
}

// bundleError words a bundle reader's error for the person importing.
func bundleError(err error) error {
	switch {
	case errors.Is(err, bundle.ErrWrongPassphrase):
		return importer.ErrPassphrase
	case errors.Is(err, bundle.ErrUnsupportedVersion):
		return importer.Refusal(importer.ErrUnsupported, "This bundle was written by a newer Confidant than this one: update this deployment, then import it.")
	case errors.Is(err, bundle.ErrNotBundle):
		return importer.Refusal(importer.ErrUnknownFormat, "This file is not a Confidant bundle.")
	case errors.Is(err, bundle.ErrTruncated):
		return importer.Refusal(importer.ErrMalformed, "The bundle ends too early or its last part is damaged (was it cut off while downloading or copying?). Nothing was imported.")
	case errors.Is(err, bundle.ErrCorrupt), errors.Is(err, bundle.ErrChecksum):
		return importer.Refusal(importer.ErrMalformed, "The bundle is damaged (its checksums do not match). Nothing was imported.")
	case errors.Is(err, bundle.ErrUnsafeEntry):
		return importer.Refusal(importer.ErrUnsafeArchive, "The bundle holds an entry no Confidant bundle has (an unsafe path or unknown file), so it was not opened. Nothing was imported.")
	case errors.Is(err, bundle.ErrTooLarge), errors.Is(err, bundle.ErrTooManyEntries):
		return importer.Refusal(importer.ErrTooLarge, "The bundle holds an entry, or entries, larger than this deployment imports. Nothing was imported.")
	}
	return err
}

// ImportBundle brings the bundle read from r into the user's account at
// once: age-encrypted (src names the passphrase or identities) or, with
// neither, the plain tar stream fork-to-fork transfer carries inside its
// own encryption. Like every import it checks the whole bundle before
// writing anything and adds nothing twice, keeping the bundle sealed in
// the store rather than in memory; refusals are *importer.Error.
func (s *Service) ImportBundle(ctx context.Context, userID uuid.UUID, r io.Reader, src BundleSource) (store.ImportCounts, error) {
	if s.opt.Bundles == nil {
		return store.ImportCounts{}, importer.ErrUnsupported
	}
	file, end, err := s.spool(ctx, userID, r, importer.FormatConfidant)
	if err != nil {
		return store.ImportCounts{}, err
	}
	counts, err := s.opt.Bundles.ImportFrom(ctx, userID, file, file.Size(), src)
	end(counts, err)
	return counts, err
}
