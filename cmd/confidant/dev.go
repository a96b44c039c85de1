package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"confidant/auth"
	"confidant/config"
	"confidant/enclave"
	"confidant/migrations"
	"confidant/store"
)

// devCmd runs `confidant dev apikey USER`: it creates the user if needed
// and prints an API key with every scope, alone on stdout. It refuses
// unless the enclave is simulated: on real hardware, accounts need passkeys.
func devCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) != 2 || args[0] != "apikey" {
		return fmt.Errorf("%w: dev apikey USER", errUsage)
	}
	username, err := auth.NormalizeUsername(args[1])
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	pool, err := openDatabase(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := migrations.New(pool)
	if err != nil {
		return err
	}
	_, err = m.Up(ctx)
	m.Close()
	if err != nil {
		return err
	}
	enc, err := enclave.Boot(ctx, enclave.BootConfig{Mode: cfg.Enclave, RequireTEE: cfg.RequireTEE, DataDir: cfg.DataDir,
		SimulatorEndpoint: getenv(enclave.SimulatorEndpointEnv)}, log)
	if err != nil {
		return err
	}
	if enc.Provider.Kind() != enclave.KindSimulated {
		return errors.New("dev apikey works only with the simulated enclave (CONFIDANT_ENCLAVE=simulated)")
	}
	st := store.New(pool, enc.Keyring, enc.Tombstones)
	user, err := st.UserByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		user = store.User{ID: uuid.New(), Username: username, DisplayName: username, CreatedAt: time.Now()}
		err = st.CreateUser(ctx, user)
	}
	if err != nil {
		return err
	}
	svc, err := auth.New(st, auth.Options{RPID: cfg.RPID(), Origin: cfg.Origin.String()})
	if err != nil {
		return err
	}
	key, err := svc.CreateAPIKey(ctx, user.ID, "dev "+time.Now().UTC().Format("2006-01-02 15:04"), auth.AllScopes())
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, key.Secret)
	return nil
}
