package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The durable floor's table in the bench's throwaway database, and the
// application name its connections carry, so that the CPU meter can tell
// them from Confidant's.
const (
	durableTable   = "chatbench_durable_floor"
	durableAppName = "chatbench-durable-floor"
)

// createDurableTable creates the durable floor's table in the database at
// dbURL: one row per proxied request, a random id and the request body.
func createDurableTable(ctx context.Context, dbURL string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("durable floor table: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `CREATE TABLE `+durableTable+` (id bytea PRIMARY KEY, body bytea NOT NULL)`); err != nil {
		return fmt.Errorf("durable floor table: %w", err)
	}
	return nil
}

// openDurablePool connects to dbURL for the durable floor, with
// synchronous_commit on whatever the database's default, so that every
// commit waits for the disk.
func openDurablePool(ctx context.Context, dbURL string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 2 // one leader flushes at a time
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	cfg.ConnConfig.RuntimeParams["application_name"] = durableAppName
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// pendingRow is one request's row waiting for its commit.
type pendingRow struct {
	id, body []byte
	result   chan error    // the commit's outcome, when another request flushed it
	lead     chan struct{} // this request is to flush the queue itself
}

// groupCommitter commits the rows of concurrent requests in groups: a
// request that finds no flush running flushes at once, alone; those that
// arrive meanwhile queue, and when the flush ends the first of them flushes
// everything queued by then, in one statement and one commit, for all.
type groupCommitter struct {
	flush func(ctx context.Context, rows []*pendingRow) error

	mu       sync.Mutex
	queue    []*pendingRow
	flushing bool
}

// flushTimeout bounds one group's flush: it serves several requests, so it
// does not run on any one request's context.
const flushTimeout = 30 * time.Second

// commit stores body under a new random id and returns once it is durably
// committed, or why it is not.
func (g *groupCommitter) commit(body []byte) error {
	p := &pendingRow{id: make([]byte, 16), body: body, result: make(chan error, 1), lead: make(chan struct{}, 1)}
	_, _ = rand.Read(p.id)
	g.mu.Lock()
	g.queue = append(g.queue, p)
	if g.flushing {
		g.mu.Unlock()
		// A waiter cannot give up: the lead may be handed to it.
		select {
		case err := <-p.result:
			return err
		case <-p.lead:
		}
		g.mu.Lock()
	}
	g.flushing = true
	batch := g.queue
	g.queue = nil
	g.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	err := g.flush(ctx, batch)
	cancel()

	g.mu.Lock()
	if len(g.queue) > 0 {
		g.queue[0].lead <- struct{}{}
	} else {
		g.flushing = false
	}
	g.mu.Unlock()
	for _, q := range batch {
		if q != p {
			q.result <- err
		}
	}
	return err
}

// insertRows is the durable floor's flush: one multi-row INSERT, committed
// on its own.
func insertRows(pool *pgxpool.Pool) func(ctx context.Context, rows []*pendingRow) error {
	return func(ctx context.Context, rows []*pendingRow) error {
		ids := make([][]byte, len(rows))
		bodies := make([][]byte, len(rows))
		for i, r := range rows {
			ids[i], bodies[i] = r.id, r.body
		}
		_, err := pool.Exec(ctx, `INSERT INTO `+durableTable+` (id, body) SELECT * FROM unnest($1::bytea[], $2::bytea[])`, ids, bodies)
		if err != nil {
			return fmt.Errorf("durable commit of %d rows: %w", len(rows), err)
		}
		return nil
	}
}
