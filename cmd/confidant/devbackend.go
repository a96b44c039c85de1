package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"confidant/inference/simbackend"
)

// devbackendUsage describes `confidant devbackend`.
const devbackendUsage = "devbackend --addr HOST:PORT [--tokens N] [--delay 20ms] [--seed S] [--key K]"

// devbackend runs `confidant devbackend`: the simulated OpenAI-compatible
// inference backend (models sim-chat and sim-embed, attestation report,
// response signatures) until ctx is cancelled. Its flags set the defaults
// that [[sim:…]] directives override per request. --key defaults to
// CONFIDANT_BACKEND_KEY, so the app and the backend agree without more
// configuration; with no key, no authorization is required.
func devbackend(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("devbackend", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8081", "listen address HOST:PORT (port 0 picks a free one)")
	tokens := fs.Int("tokens", 40, "answer length in tokens")
	delay := fs.Duration("delay", 0, "pause before each token, such as 20ms")
	seed := fs.String("seed", "", "seed of the signing keys (same seed, same signing address)")
	key := fs.String("key", getenv("CONFIDANT_BACKEND_KEY"), "API key clients must send as a Bearer token")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %s", errUsage, devbackendUsage)
	}
	if fs.NArg() > 0 || *addr == "" || *tokens < 1 || *delay < 0 {
		return fmt.Errorf("%w: %s", errUsage, devbackendUsage)
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("%w: --addr %q is not HOST:PORT", errUsage, *addr)
	}
	if host == "" {
		host = "localhost"
	}

	handler := simbackend.New(simbackend.Options{
		DefaultTokens: *tokens, TokenDelay: *delay, Seed: *seed, APIKey: *key,
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("devbackend: %w", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		// Requests end with ctx, so streams in flight stop at shutdown.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	port := ln.Addr().(*net.TCPAddr).Port
	fmt.Fprintln(stderr, "confidant devbackend: SIMULATED inference backend; its answers are generated filler and its attestation proves nothing")
	fmt.Fprintf(stdout, "sim backend listening on http://%s\n", net.JoinHostPort(host, fmt.Sprint(port)))

	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("devbackend: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
		return fmt.Errorf("devbackend: shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("devbackend: %w", err)
	}
	return nil
}
