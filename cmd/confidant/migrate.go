package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"confidant/config"
	"confidant/migrations"
)

// migrate runs `confidant migrate up|status`.
func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "status") {
		return fmt.Errorf("%w: migrate takes one of: up, status", errUsage)
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	pool, err := openDatabase(ctx, cfg.DatabaseURL, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := migrations.New(pool)
	if err != nil {
		return err
	}
	defer m.Close()
	if args[0] == "up" {
		n, err := m.Up(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "applied %d migration(s)\n", n)
		return nil
	}
	list, err := m.Status(ctx)
	if err != nil {
		return err
	}
	for _, s := range list {
		state := "pending"
		if s.Applied {
			state = "applied"
		}
		fmt.Fprintf(stdout, "%-8s %d %s\n", state, s.Version, s.Name)
	}
	return nil
}
