package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"confidant/config"
	"confidant/enclave"
	"confidant/store"
)

// keysCmd runs `confidant keys rotate [-batch N]`: it re-wraps every user's
// data key under the next KEK version, online and in batches. Interrupted,
// it resumes where it stopped when run again.
func keysCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		return fmt.Errorf("%w: keys takes: rotate", errUsage)
	}
	fs := flag.NewFlagSet("keys rotate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	batch := fs.Int("batch", 500, "data keys re-wrapped per transaction")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 || *batch < 1 {
		return fmt.Errorf("%w: keys rotate [-batch N]", errUsage)
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pool, err := openDatabase(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	enc, err := enclave.Boot(ctx, enclave.BootConfig{Mode: cfg.Enclave, RequireTEE: cfg.RequireTEE, DataDir: cfg.DataDir,
		SimulatorEndpoint: getenv(enclave.SimulatorEndpointEnv)}, log)
	if err != nil {
		return err
	}
	st := store.New(pool, enc.Keyring, enc.Tombstones)

	target, err := st.BeginKEKRotation(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rotating data keys to KEK version %d\n", target)
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted after %d keys; run again to resume: %w", total, err)
		}
		n, err := st.RotateKEKBatch(ctx, target, *batch)
		if err != nil {
			return fmt.Errorf("after %d keys (run again to resume): %w", total, err)
		}
		total += n
		if n == 0 {
			done, err := st.FinishKEKRotation(ctx, target)
			if err != nil {
				return err
			}
			if done {
				break
			}
			continue // keys created meanwhile under the old version
		}
		fmt.Fprintf(stdout, "re-wrapped %d keys\n", total)
	}
	fmt.Fprintf(stdout, "done: %d data keys now under KEK version %d\n", total, target)
	return nil
}
