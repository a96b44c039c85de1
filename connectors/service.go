package connectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"confidant/internal/jobqueue"
	"confidant/internal/netguard"
	"confidant/store"
)

// Embedder turns texts into embeddings: the gated inference client's
// /v1/embeddings.
type Embedder interface {
	Embed(ctx context.Context, model string, texts []string) ([][]float32, error)
}

// Options configure the service; zero values take defaults.
type Options struct {
	// Factories builds a Source per kind; a kind without one cannot be
	// connected.
	Factories map[Kind]SourceFactory
	// AllowPrivate lets connectors reach loopback, private and link-local
	// addresses: only with the simulated enclave.
	AllowPrivate bool
	Resolver     netguard.Resolver // nil: the system's
	// Embedder embeds synced mail for retrieval; nil: keyword search only.
	Embedder   Embedder
	EmbedModel string // default sim-embed
	// SyncInterval is how often each connector syncs on its own (15 min).
	SyncInterval time.Duration
	// MinInterval is the least time between two syncs of one connector:
	// a "sync now" sooner is scheduled for when it has passed (1 min).
	MinInterval time.Duration
	Workers     int           // syncs at once per replica (2)
	MaxAttempts int           // tries of one sync before it stays failed (8)
	JobTimeout  time.Duration // one try of one sync (30 min)
	// PollInterval is how often idle workers look for jobs besides being
	// notified; tests shorten it.
	PollInterval time.Duration
	// RetryDelay, when set, replaces River's growing retry delays with a
	// fixed one; tests use it.
	RetryDelay time.Duration
	Now        func() time.Time
	Log        *slog.Logger
}

func (o *Options) defaults() {
	if o.EmbedModel == "" {
		o.EmbedModel = "sim-embed"
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = 15 * time.Minute
	}
	if o.MinInterval <= 0 {
		o.MinInterval = time.Minute
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = 30 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Service connects accounts, syncs them on River and serves what they
// synced to the pages, the API and the assistant's tools (it is a Reader).
type Service struct {
	store *store.Store
	river *river.Client[pgx.Tx]
	opt   Options
	guard *netguard.Guard
	log   *slog.Logger

	mu           sync.Mutex
	running      map[uuid.UUID]context.CancelFunc // syncs on this replica, by connector
	stopSchedule context.CancelFunc
	scheduleDone chan struct{}
}

// queueConnectors is the River queue syncs run on.
const queueConnectors = "connectors"

// syncArgs is one connector's sync job. Jobs are unique by connector
// while queued, scheduled, running or waiting for a retry: asking again
// then coalesces into the job there is.
type syncArgs struct {
	UserID      uuid.UUID `json:"user_id"`
	ConnectorID uuid.UUID `json:"connector_id"`
}

func (syncArgs) Kind() string { return "connector_sync" }

var coalesceStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled}

// NewService builds the service and its River client on pool. Start runs
// the workers and the periodic scheduler.
func NewService(pool *pgxpool.Pool, st *store.Store, opt Options) (*Service, error) {
	opt.defaults()
	s := &Service{store: st, opt: opt, log: opt.Log, running: map[uuid.UUID]context.CancelFunc{},
		guard: &netguard.Guard{AllowPrivate: opt.AllowPrivate, Resolver: opt.Resolver}}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &syncWorker{svc: s}); err != nil {
		return nil, fmt.Errorf("connectors: %w", err)
	}
	client, err := jobqueue.NewClient(pool, jobqueue.Config{Queue: queueConnectors, Workers: opt.Workers, JobTimeout: opt.JobTimeout,
		PollInterval: opt.PollInterval, RetryDelay: opt.RetryDelay, Log: opt.Log}, workers)
	if err != nil {
		return nil, fmt.Errorf("connectors: %w", err)
	}
	s.river = client
	return s, nil
}

// Start runs the sync workers and the periodic scheduler until Stop.
func (s *Service) Start(ctx context.Context) error {
	if err := s.river.Start(ctx); err != nil {
		return fmt.Errorf("connectors: start workers: %w", err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stopSchedule, s.scheduleDone = cancel, make(chan struct{})
	go s.scheduleLoop(ctx)
	return nil
}

// Stop lets running syncs finish until ctx ends, then cancels them; a
// sync cut off resumes from its last committed batch on the next start.
func (s *Service) Stop(ctx context.Context) error {
	if s.stopSchedule != nil {
		s.stopSchedule()
		<-s.scheduleDone
	}
	if err := s.river.Stop(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return s.river.StopAndCancel(context.WithoutCancel(ctx))
		}
		return fmt.Errorf("connectors: stop workers: %w", err)
	}
	return nil
}

// Dial is the guarded dialer every Source gets.
func (s *Service) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	return s.guard.DialContext(ctx, network, addr)
}

// Connection is a connector as its owner sees it: never its credentials.
type Connection struct {
	Info
	Status    string // syncing, idle or error
	ErrorCode string
	Error     string // for its owner, when Status is error
	Items     int
	Progress  Progress
	LastSync  *time.Time
	CreatedAt time.Time
}

func toConnection(c store.Connector) Connection {
	k := Kind(c.Kind)
	return Connection{Info: Info{ID: c.ID, Kind: k, Name: c.Name, Capabilities: CapabilitiesOf(k)},
		Status: c.Status, ErrorCode: c.ErrorCode, Error: c.Error, Items: c.Items,
		Progress: Progress{Done: c.ProgressDone, Total: c.ProgressTotal}, LastSync: c.LastSync, CreatedAt: c.CreatedAt}
}

// Connect checks the settings (kind, server, security, credentials, and
// that the server is not on a private network), stores them sealed and
// queues the first, full sync in the same transaction. A refusal is an
// *InputError.
func (s *Service) Connect(ctx context.Context, userID uuid.UUID, in Settings) (Connection, error) {
	settings, err := s.validate(ctx, in)
	if err != nil {
		return Connection{}, err
	}
	raw, err := json.Marshal(settings)
	if err != nil {
		return Connection{}, fmt.Errorf("connect: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Connection{}, err
	}
	c := store.Connector{ID: id, UserID: userID, Kind: string(settings.Kind), Name: displayName(settings), Settings: raw,
		Status: store.ConnectorSyncing, CreatedAt: s.opt.Now()}
	err = s.store.CreateConnector(ctx, c, func(ctx context.Context, tx pgx.Tx) error {
		_, err := s.river.InsertTx(ctx, tx, syncArgs{UserID: userID, ConnectorID: id}, s.insertOpts(time.Time{}))
		if err != nil {
			return fmt.Errorf("queue first sync: %w", err)
		}
		return nil
	})
	if err != nil {
		return Connection{}, err
	}
	s.log.Info("connector connected", "connector", id, "kind", settings.Kind)
	return toConnection(c), nil
}

func (s *Service) insertOpts(at time.Time) *river.InsertOpts {
	return &river.InsertOpts{Queue: queueConnectors, MaxAttempts: s.opt.MaxAttempts, ScheduledAt: at,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: coalesceStates}}
}

// Sync asks for a sync of one of the user's connectors. It coalesces with
// a sync already queued or running, and one asked for sooner than
// MinInterval after the last is scheduled for when that has passed.
func (s *Service) Sync(ctx context.Context, userID, id uuid.UUID) error {
	c, err := s.store.Connector(ctx, userID, id)
	if err != nil {
		return err
	}
	now := s.opt.Now()
	var at time.Time
	if c.LastSync != nil && now.Sub(*c.LastSync) < s.opt.MinInterval {
		at = c.LastSync.Add(s.opt.MinInterval)
	}
	res, err := s.river.Insert(ctx, syncArgs{UserID: userID, ConnectorID: id}, s.insertOpts(at))
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if res.UniqueSkippedAsDuplicate && at.IsZero() && res.Job != nil &&
		(res.Job.State == rivertype.JobStateRetryable || res.Job.State == rivertype.JobStateScheduled) {
		// A retry waiting out its backoff (or a sync held back by the
		// minimum interval, which has passed) runs now: the person asked.
		if _, err := s.river.JobRetry(ctx, res.Job.ID); err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		res.UniqueSkippedAsDuplicate = false
	}
	if !res.UniqueSkippedAsDuplicate && at.IsZero() && c.Status != store.ConnectorSyncing {
		if err := s.store.ConnectorSyncing(ctx, userID, id, now); err != nil {
			return err
		}
	}
	return nil
}

// Disconnect revokes the connector's credentials at the provider where it
// can (best effort), stops its sync, and deletes its credentials and
// every item it synced.
func (s *Service) Disconnect(ctx context.Context, userID, id uuid.UUID) error {
	c, err := s.store.Connector(ctx, userID, id)
	if err != nil {
		return err
	}
	if src, _, err := s.open(c); err == nil {
		if r, ok := src.(Revoker); ok {
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := r.Revoke(rctx); err != nil {
				s.log.Warn("revoking a connector's credentials failed; deleting them anyway", "connector", id, "kind", c.Kind, "err_type", fmt.Sprintf("%T", err))
			}
			cancel()
		}
	}
	if err := s.store.DeleteConnector(ctx, userID, id); err != nil {
		return err
	}
	s.cancelSync(ctx, id)
	s.log.Info("connector disconnected", "connector", id, "kind", c.Kind)
	return nil
}

// cancelSync cancels the connector's queued and running sync jobs, on
// this replica directly and on others through River.
func (s *Service) cancelSync(ctx context.Context, id uuid.UUID) {
	s.mu.Lock()
	if cancel, ok := s.running[id]; ok {
		cancel()
	}
	s.mu.Unlock()
	params := river.NewJobListParams().Kinds(syncArgs{}.Kind()).States(coalesceStates...).
		Where("args->>'connector_id' = @id", river.NamedArgs{"id": id.String()}).First(100)
	res, err := s.river.JobList(ctx, params)
	if err != nil {
		s.log.Warn("listing a disconnected connector's jobs failed", "connector", id, "err", err)
		return
	}
	for _, j := range res.Jobs {
		if _, err := s.river.JobCancel(ctx, j.ID); err != nil {
			s.log.Warn("cancelling a disconnected connector's job failed", "connector", id, "job", j.ID, "err", err)
		}
	}
}

// List returns the user's connections, oldest first.
func (s *Service) List(ctx context.Context, userID uuid.UUID) ([]Connection, error) {
	list, err := s.store.Connectors(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Connection, len(list))
	for i, c := range list {
		out[i] = toConnection(c)
	}
	return out, nil
}

// Get returns one of the user's connections; another user's is
// store.ErrNotFound.
func (s *Service) Get(ctx context.Context, userID, id uuid.UUID) (Connection, error) {
	c, err := s.store.Connector(ctx, userID, id)
	if err != nil {
		return Connection{}, err
	}
	return toConnection(c), nil
}

// open builds the Source of a stored connector.
func (s *Service) open(c store.Connector) (Source, Settings, error) {
	var settings Settings
	if err := json.Unmarshal(c.Settings, &settings); err != nil {
		return nil, Settings{}, fmt.Errorf("connector settings: %w", err)
	}
	factory, ok := s.opt.Factories[Kind(c.Kind)]
	if !ok {
		return nil, settings, errNoFactory
	}
	src, err := factory(settings, s.guard.DialContext, func(ctx context.Context, updated Settings) error {
		raw, err := json.Marshal(updated)
		if err != nil {
			return err
		}
		return s.store.SetConnectorSettings(ctx, c.UserID, c.ID, raw, s.opt.Now())
	})
	if err != nil {
		return nil, settings, err
	}
	return src, settings, nil
}

var errNoFactory = &Error{Code: "unsupported", Message: "This version of Confidant cannot sync this kind of account."}
