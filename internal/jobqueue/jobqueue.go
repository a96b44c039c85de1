// Package jobqueue builds the River clients that run Confidant's
// background work (document ingestion, connector syncs, imports) on the
// app's own Postgres, each on its own queue, all configured one way.
package jobqueue

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// Config says how one queue runs.
type Config struct {
	Queue      string        // the River queue the client works
	Workers    int           // jobs of this queue run at once per replica
	JobTimeout time.Duration // one try of one job
	// PollInterval is how often idle workers look for new jobs besides
	// being notified; 0 for River's default. Tests shorten it.
	PollInterval time.Duration
	// RetryDelay, when set, replaces River's growing retry delays (1 s,
	// 16 s, 81 s, … for attempts 1, 2, 3) with a fixed one; tests use it.
	RetryDelay time.Duration
	Log        *slog.Logger
}

// NewClient builds a River client on pool that works cfg.Queue with
// workers. Start and Stop it with the service that owns it.
func NewClient(pool *pgxpool.Pool, cfg Config, workers *river.Workers) (*river.Client[pgx.Tx], error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rc := &river.Config{
		Queues:            map[string]river.QueueConfig{cfg.Queue: {MaxWorkers: cfg.Workers}},
		Workers:           workers,
		Logger:            log.With("component", "river", "queue", cfg.Queue),
		FetchPollInterval: cfg.PollInterval,
		JobTimeout:        cfg.JobTimeout,
	}
	if cfg.PollInterval > 0 {
		rc.FetchCooldown = min(cfg.PollInterval, river.FetchCooldownDefault)
	}
	if cfg.RetryDelay > 0 {
		rc.RetryPolicy = fixedRetry(cfg.RetryDelay)
	}
	client, err := river.NewClient(riverpgxv5.New(pool), rc)
	if err != nil {
		return nil, fmt.Errorf("river client for queue %s: %w", cfg.Queue, err)
	}
	return client, nil
}

// fixedRetry retries a failed job after a fixed delay.
type fixedRetry time.Duration

func (d fixedRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Duration(d)) }
