package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"confidant/attestation"
	"confidant/config"
	"confidant/enclave"
	"confidant/enclave/evidence"
	"confidant/enclave/tdx"
	"confidant/handlers"
	"confidant/internal/debugserver"
	"confidant/migrations"
	"confidant/store"
	"confidant/web"
)

// serve runs the web app until ctx is cancelled, then lets in-flight
// requests finish.
func serve(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	tuneGC(getenv, log)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}

	if addr := getenv(debugserver.Env); addr != "" {
		if cfg.RequireTEE {
			// A profile shows memory: in a TEE the operator must not get one.
			return fmt.Errorf("%s is refused with CONFIDANT_REQUIRE_TEE=1", debugserver.Env)
		}
		if err := debugserver.Start(ctx, addr, log); err != nil {
			return err
		}
	}
	pool, err := openDatabase(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	migrator, err := migrations.New(pool)
	if err != nil {
		return err
	}
	defer migrator.Close()
	n, err := migrator.Up(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		log.Info("applied migrations", "count", n)
	}

	enc, err := enclave.Boot(ctx, enclave.BootConfig{Mode: cfg.Enclave, RequireTEE: cfg.RequireTEE, DataDir: cfg.DataDir,
		SimulatorEndpoint: getenv(enclave.SimulatorEndpointEnv)}, log)
	if err != nil {
		return err
	}
	enclaveMode := string(enc.Provider.Kind())
	log.Info("enclave ready", "kind", enclaveMode)

	st := store.New(pool, enc.Keyring, enc.Tombstones)
	if n, err := st.InterruptStreaming(ctx, time.Now()); err != nil {
		return err
	} else if n > 0 {
		log.Warn("answers cut off by the last stop are marked interrupted", "count", n)
	}
	// Backend quotes are verified to Intel's root, with the TCB status from
	// Intel's PCS.
	verifier, err := web.NewReportVerifier(cfg, evidence.TDXQuotes{Collateral: &tdx.PCSGetter{}})
	if err != nil {
		return err
	}
	backends, err := web.OpenBackends(cfg, verifier, enc.Provider.Kind() == enclave.KindDstack, log)
	if err != nil {
		return err
	}
	defer backends.Close()
	go backends.VerifyEvery(ctx)
	if err := syncTombstones(ctx, st, log); err != nil {
		return err
	}
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = syncTombstones(ctx, st, log)
			}
		}
	}()
	signers, err := attestation.NewSigners(enc.Keyring.SigningSeed())
	if err != nil {
		return err
	}
	reporter := attestation.NewReporter(enc.Provider, signers, backends.Attestor)
	// Fork transfer judges destinations like `confidant verify` does:
	// quote chains to Intel's root, with the TCB status from Intel's PCS.
	transferDeps := &web.TransferDeps{Seed: enc.Keyring.TransferSeed(), Simulated: enc.Provider.Kind() == enclave.KindSimulated,
		Quotes: evidence.TDXQuotes{Collateral: &tdx.PCSGetter{}}, TempDir: cfg.DataDir}
	app, err := web.New(web.Deps{
		Config: cfg, Store: st, Log: log, Version: version, Commit: commit, EnclaveMode: enclaveMode,
		Backend: backends.Chat, Models: backends.Catalog, Inference: backends.Attestor, Verdicts: backends.Attestor, Enclave: enc.Provider,
		Reporter: reporter, Pool: pool, Transfer: transferDeps,
		Connectors: connectorSources(),
		ReadyChecks: []handlers.ReadinessCheck{
			{Name: "database", Check: st.Ping},
			{Name: "enclave", Check: func(ctx context.Context) error { _, err := enc.Provider.Info(ctx); return err }},
			{Name: "backend", Check: backends.Healthy},
			{Name: "backend verdict", Check: backends.Attestor.Ready},
			{Name: "migrations", Check: func(ctx context.Context) error {
				pending, err := migrator.Pending(ctx)
				if err == nil && pending {
					err = errors.New("migrations pending")
				}
				return err
			}},
		},
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           app,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("listening", "addr", ln.Addr().String(), "url", cfg.Origin.String(), "version", version)
	fmt.Fprintf(stdout, "Confidant is running at %s\n", cfg.Origin)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down; finishing in-flight requests", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	app.Drain(shutdownCtx)
	log.Info("stopped")
	return nil
}

// syncTombstones reconciles the enclave's tombstone registry with the
// database and purges users that a restored dump brought back.
func syncTombstones(ctx context.Context, st *store.Store, log *slog.Logger) error {
	purged, err := st.SyncTombstones(ctx)
	if err != nil {
		log.Error("tombstone sync failed", "err", err)
		return err
	}
	if purged > 0 {
		log.Warn("purged deleted users that a database restore brought back", "count", purged)
	}
	return nil
}

// openDatabase connects to Postgres, waiting up to 30 s for it to accept
// connections (it may still be starting next to us).
func openDatabase(ctx context.Context, url string, log *slog.Logger) (*pgxpool.Pool, error) {
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgx's default (4 on small machines) starves concurrent streams,
		// which each commit as they go.
		pcfg.MaxConns = defaultPoolSize
	}
	store.ConfigurePool(pcfg)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err = pool.Ping(ctx)
		if err == nil {
			return pool, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			pool.Close()
			return nil, fmt.Errorf("database at %s is not reachable: %w (is Postgres running? `make dev` starts it)", describeDB(pcfg), err)
		}
		log.Info("waiting for the database", "err", err)
		time.Sleep(time.Second)
	}
}

// defaultPoolSize is the connection pool size unless DATABASE_URL sets
// pool_max_conns; Postgres allows 100 connections by default.
const defaultPoolSize = 32

// describeDB names the database without its password.
func describeDB(c *pgxpool.Config) string {
	return fmt.Sprintf("host=%s database=%s user=%s", c.ConnConfig.Host, c.ConnConfig.Database, c.ConnConfig.User)
}
