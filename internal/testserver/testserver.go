// Package testserver starts the whole Confidant web app for a test: its own
// database, a loopback listener and an origin of http://localhost:PORT, so
// browsers accept it as a WebAuthn relying party.
package testserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"confidant/attestation"
	"confidant/config"
	"confidant/connectors"
	"confidant/enclave"
	"confidant/handlers"
	"confidant/inference"
	"confidant/internal/testdb"
	"confidant/portability/transfer"
	"confidant/store"
	"confidant/web"
)

// Server is a running app.
type Server struct {
	URL         string // http://localhost:PORT
	Store       *store.Store
	Logs        *LogBuffer
	DatabaseURL string // the test's own database, for pg_dump and restores
	DataDir     string // CONFIDANT_DATA_DIR: simulated root key, tombstones
}

// Options adjusts the app under test.
type Options struct {
	Env map[string]string // extra CONFIDANT_* settings (and DSTACK_SIMULATOR_ENDPOINT)
	// Verifier judges the backends' attestation reports; nil means the
	// app's own (web.NewReportVerifier).
	Verifier inference.ReportVerifier
	// ConnectorReader, when set, is what the assistant's tools read.
	ConnectorReader connectors.Reader
	// Connectors builds mail and calendar sources by kind; nil: none.
	Connectors map[connectors.Kind]connectors.SourceFactory
	// ConnectorsStrict refuses private and loopback addresses to
	// connectors as a real enclave does.
	ConnectorsStrict bool
	// Host names the origin's host (default localhost). A second instance
	// on another name, such as source.localhost, keeps its own cookies in
	// the same browser.
	Host string
	// TransferExport and TransferImport, when set, stand in for the
	// bundle exporter and importer behind fork transfer.
	TransferExport transfer.ExportFunc
	TransferImport transfer.ImportFunc
	// ConnectOAuth stores accounts connected through OAuth; nil: the
	// callback refuses to connect.
	ConnectOAuth handlers.ConnectOAuth
}

// Start runs the app until the test ends.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	pool, dbURL := testdb.NewWithURL(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	host := opt.Host
	if host == "" {
		host = "localhost"
	}
	origin := fmt.Sprintf("http://%s:%d", host, port)
	env := map[string]string{"CONFIDANT_ORIGIN": origin, "CONFIDANT_ADDR": ln.Addr().String(), "CONFIDANT_DATA_DIR": t.TempDir(),
		"CONFIDANT_ENCLAVE": "simulated"}
	for k, v := range opt.Env {
		env[k] = v
	}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	enc, err := enclave.Boot(context.Background(), enclave.BootConfig{Mode: cfg.Enclave, DataDir: cfg.DataDir,
		SimulatorEndpoint: env[enclave.SimulatorEndpointEnv]}, log)
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(pool, enc.Keyring, enc.Tombstones)
	verifier := opt.Verifier
	if verifier == nil {
		v, err := web.NewReportVerifier(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		verifier = v
	}
	backends, err := web.OpenBackends(cfg, verifier, enc.Provider.Kind() == enclave.KindDstack, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(backends.Close)
	verifyCtx, stopVerifying := context.WithCancel(context.Background())
	t.Cleanup(stopVerifying)
	go backends.VerifyEvery(verifyCtx)
	signers, err := attestation.NewSigners(enc.Keyring.SigningSeed())
	if err != nil {
		t.Fatal(err)
	}
	reporter := attestation.NewReporter(enc.Provider, signers, backends.Attestor)
	transferDeps := &web.TransferDeps{Seed: enc.Keyring.TransferSeed(), Simulated: enc.Provider.Kind() == enclave.KindSimulated,
		TempDir: t.TempDir(), Export: opt.TransferExport, Import: opt.TransferImport}
	app, err := web.New(web.Deps{Config: cfg, Store: st, Log: log, Version: "test", Commit: "test", EnclaveMode: string(enc.Provider.Kind()),
		Backend: backends.Chat, Models: backends.Catalog, Inference: backends.Attestor, Verdicts: backends.Attestor, Enclave: enc.Provider,
		Reporter: reporter, Pool: pool, Transfer: transferDeps,
		Connectors: opt.Connectors, ConnectorsStrict: opt.ConnectorsStrict, ConnectorReader: opt.ConnectorReader,
		ReadyChecks:  []handlers.ReadinessCheck{{Name: "database", Check: st.Ping}, {Name: "backend verdict", Check: backends.Attestor.Ready}},
		ConnectOAuth: opt.ConnectOAuth})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("testserver: %v", err)
		}
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		app.Drain(ctx)
	})
	return &Server{URL: origin, Store: st, Logs: logs, DatabaseURL: dbURL, DataDir: cfg.DataDir}
}

// LogBuffer collects the server's log lines so tests can check that no
// secret or user content reaches them.
type LogBuffer struct {
	mu sync.Mutex
	sb strings.Builder
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.Write(p)
}

// String returns everything logged so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sb.String()
}
