package imports

import (
	"context"
	"fmt"
	"io"

	"github.com/google/uuid"

	"confidant/portability/importer"
	"confidant/store"
)

// spool keeps what r holds sealed in the store, in pieces as they arrive,
// as an import that no job runs: the synchronous paths then read it twice
// (validate, write) without holding it. end drops the file, recording
// how the import went; call it once, whatever happened.
func (s *Service) spool(ctx context.Context, userID uuid.UUID, r io.Reader, format importer.Format) (file *store.ImportFile, end func(store.ImportCounts, error), err error) {
	id, err := uuid.NewV7()
	if err != nil {
		return nil, nil, err
	}
	now := s.opt.Now()
	imp := store.Import{ID: id, UserID: userID, Format: string(format), State: store.ImportQueued, CreatedAt: now, UpdatedAt: now}
	if _, err := s.store.CreateImport(ctx, imp, &sizeLimit{r: r, left: s.opt.MaxFileSize}, nil, nil); err != nil {
		if e, ok := importer.AsError(err); ok {
			return nil, nil, e
		}
		return nil, nil, fmt.Errorf("read import: %w", err)
	}
	end = func(counts store.ImportCounts, err error) {
		ctx := context.WithoutCancel(ctx)
		var ferr error
		switch e, refused := importer.AsError(err); {
		case err == nil:
			ferr = s.store.FinishImport(ctx, userID, id, counts, s.opt.Now())
		case refused:
			ferr = s.store.FailImport(ctx, userID, id, e.Code, e.Message, s.opt.Now())
		default:
			ferr = s.store.FailImport(ctx, userID, id, "internal", errInternalMessage, s.opt.Now())
		}
		if ferr != nil {
			s.opt.Log.Warn("import file not dropped", "import", id, "err", ferr)
		}
	}
	if file, err = s.store.OpenImportFile(ctx, userID, id); err != nil {
		end(store.ImportCounts{}, err)
		return nil, nil, err
	}
	return file, end, nil
}
