package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"confidant/chat"
	"confidant/config"
	"confidant/inference"
	"confidant/inference/simbackend"
)

// Backends is the inference side of the app: where answers come from and
// which models there are.
type Backends struct {
	Chat    *chat.InferenceBackend
	Catalog *chat.Catalog
	// Simulated is the in-process simulated backend's URL, "" when the
	// configured backends are used.
	Simulated string
	// Attestor verifies the backends before use and checks answers.
	Attestor *inference.Attestor
	client   *inference.Client
	stop     func()
}

// VerifyEvery re-verifies the backends on Attestor's schedule until ctx
// ends; it verifies them once right away, before the first message.
func (b *Backends) VerifyEvery(ctx context.Context) { b.Attestor.Run(ctx) }

// Healthy reports whether a backend answers, for /readyz.
func (b *Backends) Healthy(ctx context.Context) error {
	_, err := b.client.Healthy(ctx)
	return err
}

// Inference returns the client of the configured backends.
func (b *Backends) Inference() *inference.Client { return b.client }

// Close stops the in-process simulated backend, if one runs.
func (b *Backends) Close() {
	if b.stop != nil {
		b.stop()
	}
}

// OpenBackends connects to the configured backends, or, when none is
// configured, starts the simulated backend in-process on a loopback port.
// Each backend is verified with verifier before it gets user data.
//
// realTEE says the app runs in a real TEE: then only backends that pass
// every check on real hardware get user data.
func OpenBackends(cfg *config.Config, verifier inference.ReportVerifier, realTEE bool, log *slog.Logger) (*Backends, error) {
	b := &Backends{}
	urls := strings.Join(cfg.BackendURLs, ",")
	if urls == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("simulated backend: %w", err)
		}
		srv := &http.Server{Handler: simbackend.New(simbackend.Options{}), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("simulated backend stopped", "err", err)
			}
		}()
		urls = "http://" + ln.Addr().String()
		b.Simulated = urls
		b.stop = func() { _ = srv.Close() }
		log.Warn("using the built-in SIMULATED inference backend: answers are generated text, not a model")
	}
	client, err := inference.New(inference.Config{BaseURL: urls, APIKey: cfg.BackendKey})
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("backends: %w", err)
	}
	b.client = client
	b.Attestor, err = inference.NewAttestor(client, inference.AttestorOptions{Verifier: verifier, TTL: cfg.BackendVerifyTTL, RequireGreen: realTEE, Log: log})
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("backends: %w", err)
	}
	b.Catalog = &chat.Catalog{Client: client}
	b.Chat = &chat.InferenceBackend{Client: client, Catalog: b.Catalog, Attestor: b.Attestor}
	return b, nil
}
