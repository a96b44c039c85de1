package connectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"confidant/internal/netguard"
	"confidant/store"
)

type syncWorker struct {
	river.WorkerDefaults[syncArgs]
	svc *Service
}

func (w *syncWorker) Timeout(*river.Job[syncArgs]) time.Duration { return w.svc.opt.JobTimeout }

// Work runs one sync try; see Service.runSync.
func (w *syncWorker) Work(ctx context.Context, job *river.Job[syncArgs]) error {
	return w.svc.runSync(ctx, job.Args.UserID, job.Args.ConnectorID, job.Attempt, job.MaxAttempts)
}

// scheduleBatch bounds the syncs one scheduler run queues; the rest wait
// for its next run.
const scheduleBatch = 500

// scheduleLoop queues the due syncs every quarter of SyncInterval until
// ctx ends. Every replica runs it: the jobs are unique per connector, so
// replicas asking at once queue each sync once. (River's periodic jobs
// run only on its elected leader, which may be another client on the
// same database, such as the documents service's.)
func (s *Service) scheduleLoop(ctx context.Context) {
	defer close(s.scheduleDone)
	t := time.NewTicker(max(s.opt.SyncInterval/4, 100*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.scheduleDue(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("queueing due connector syncs failed", "err", err)
			}
		}
	}
}

// scheduleDue queues a sync of each connector whose last sync is older
// than SyncInterval.
func (s *Service) scheduleDue(ctx context.Context) error {
	due, err := s.store.ConnectorsDue(ctx, s.opt.Now().Add(-s.opt.SyncInterval), scheduleBatch)
	if err != nil || len(due) == 0 {
		return err
	}
	params := make([]river.InsertManyParams, len(due))
	for i, c := range due {
		params[i] = river.InsertManyParams{Args: syncArgs{UserID: c.UserID, ConnectorID: c.ID}, InsertOpts: s.insertOpts(time.Time{})}
	}
	if _, err := s.river.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("queue due syncs: %w", err)
	}
	s.log.Info("queued periodic connector syncs", "count", len(due))
	return nil
}

// runSync syncs one connector from its stored cursor. Each batch commits
// with the cursor after it, so a try cut off anywhere resumes where its
// last batch ended. Errors a person can act on (*Error with Retry false:
// a wrong password) end the job with the error shown; others are shown
// too and River retries them with backoff.
func (s *Service) runSync(ctx context.Context, userID, id uuid.UUID, attempt, maxAttempts int) error {
	c, err := s.store.Connector(ctx, userID, id)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUserDeleted) {
		return nil // disconnected, or the account is gone
	}
	if err != nil {
		return err
	}
	src, _, err := s.open(c)
	if err == nil {
		if err = s.store.ConnectorSyncing(ctx, userID, id, s.opt.Now()); err == nil {
			ctx, cancel := context.WithCancel(ctx)
			s.track(id, cancel)
			err = src.Sync(ctx, c.Cursor, &sink{svc: s, userID: userID, connectorID: id})
			s.untrack(id)
			cancel()
		}
	}
	if err == nil {
		// A completed full resync deletes what it did not list again.
		var swept int
		if swept, err = s.store.SweepConnector(ctx, userID, id, s.opt.Now()); err == nil && swept > 0 {
			s.log.Info("connector resync removed items gone on the server", "connector", id, "kind", c.Kind, "removed", swept)
		}
	}
	if err == nil {
		err = s.store.ConnectorSynced(ctx, userID, id, s.opt.Now())
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err == nil {
			s.log.Info("connector synced", "connector", id, "kind", c.Kind)
		}
		return err
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUserDeleted) {
		return nil
	}
	code, msg, retry := describe(err)
	s.log.Warn("connector sync failed", "connector", id, "kind", c.Kind, "code", code, "retry", retry, "attempt", attempt, "max_attempts", maxAttempts)
	if ferr := s.store.ConnectorFailed(context.WithoutCancel(ctx), userID, id, code, msg, retry, s.opt.Now()); ferr != nil && !errors.Is(ferr, store.ErrNotFound) {
		return errors.Join(err, ferr)
	}
	// River logs what a job returns: only the code goes back to it, as
	// a remote error may quote a folder name or the server's words.
	failure := fmt.Errorf("connector sync failed: %s", code)
	if !retry {
		return river.JobCancel(failure)
	}
	return failure
}

// describe turns a sync error into what the connector shows: a stable
// code, a message for its owner, and whether a later try may help.
func describe(err error) (code, msg string, retry bool) {
	var ce *Error
	switch {
	case errors.As(err, &ce):
		return ce.Code, ce.Message, ce.Retry
	case errors.Is(err, netguard.ErrRefused):
		return "address_refused", "The server's name now leads to a private, loopback or link-local address, which Confidant does not connect to.", false
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout", "The sync took too long and was stopped; it will continue where it stopped.", true
	case errors.Is(err, context.Canceled):
		return "interrupted", "The sync was interrupted; it will continue where it stopped.", true
	}
	return "server", "The sync stopped because of an unexpected problem; it will be tried again and continue where it stopped.", true
}

func (s *Service) track(id uuid.UUID, cancel context.CancelFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running[id] = cancel
}

func (s *Service) untrack(id uuid.UUID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.running, id)
}

// sink stores a Source's batches: it turns each item into its sealed JSON
// form, its keyword text and (with an embedder) its embedding.
type sink struct {
	svc         *Service
	userID      uuid.UUID
	connectorID uuid.UUID
}

// Bounds on what is indexed of one message.
const (
	embedBatch     = 32
	maxEmbedRunes  = 2000
	maxIndexedText = 64 << 10
)

const errIndexing = "Synced messages could not be indexed for search because the inference backend did not answer; the sync will continue later."

func (k *sink) Apply(ctx context.Context, b Batch) error {
	sb := store.ConnectorBatch{Removed: b.Removed, Reset: b.Reset, Cursor: b.Cursor, ProgressDone: b.Progress.Done, ProgressTotal: b.Progress.Total}
	embedTexts := make([]string, 0, len(b.Mail))
	for _, m := range b.Mail {
		data, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("store mail: %w", err)
		}
		sb.Mail = append(sb.Mail, store.NewMail{Resource: m.Resource, Data: data, IndexText: mailIndexText(m)})
		embedTexts = append(embedTexts, mailEmbedText(m))
	}
	if e := k.svc.opt.Embedder; e != nil {
		for start := 0; start < len(embedTexts); start += embedBatch {
			end := min(start+embedBatch, len(embedTexts))
			vecs, err := e.Embed(ctx, k.svc.opt.EmbedModel, embedTexts[start:end])
			if err != nil {
				return &Error{Code: "indexing", Message: errIndexing, Err: err, Retry: true}
			}
			if len(vecs) != end-start {
				return &Error{Code: "indexing", Message: errIndexing, Err: fmt.Errorf("%d embeddings for %d texts", len(vecs), end-start), Retry: true}
			}
			for i, v := range vecs {
				if len(v) != store.EmbeddingDims {
					k.svc.log.Error("embedding model gives vectors of the wrong size", "model", k.svc.opt.EmbedModel, "dims", len(v), "want", store.EmbeddingDims)
					continue // keyword search still finds it
				}
				sb.Mail[start+i].Embedding = v
			}
		}
	}
	for _, e := range b.Events {
		if e.End.Before(e.Start) {
			e.End = e.Start
		}
		data, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("store event: %w", err)
		}
		sb.Events = append(sb.Events, store.NewEvent{Resource: e.Resource, Start: e.Start, End: e.End, Data: data,
			IndexText: strings.Join([]string{e.Summary, e.Location, e.Description, e.Calendar, e.Organizer}, "\n")})
	}
	return k.svc.store.ApplyConnectorBatch(ctx, k.userID, k.connectorID, sb, k.svc.opt.Now())
}

// mailIndexText is what keyword search finds a message by.
func mailIndexText(m Mail) string {
	text := strings.Join([]string{m.Subject, m.From, strings.Join(m.To, " "), strings.Join(m.Cc, " "), m.Folder, m.Text}, "\n")
	if len(text) > maxIndexedText {
		text = strings.ToValidUTF8(text[:maxIndexedText], "")
	}
	return text
}

// mailEmbedText is what is embedded of a message: who, about what, and
// the start of its text.
func mailEmbedText(m Mail) string {
	text := "From: " + m.From + "\nSubject: " + m.Subject + "\n\n" + m.Text
	if r := []rune(text); len(r) > maxEmbedRunes {
		text = string(r[:maxEmbedRunes])
	}
	return text
}
