package enclave

import (
	"context"
	"fmt"
	"log/slog"

	"confidant/enclave/keys"
	"confidant/enclave/tombstone"
)

// BootConfig says how to find the enclave.
type BootConfig struct {
	Mode              string // auto | dstack | simulated
	RequireTEE        bool
	DataDir           string
	SimulatorEndpoint string // DSTACK_SIMULATOR_ENDPOINT, passed in by the caller
}

// Booted is the enclave as the app uses it: the provider, the key
// hierarchy derived from its root secret, and the tombstone registry.
type Booted struct {
	Provider   Provider
	Keyring    *keys.Keyring
	Tombstones *tombstone.Registry
}

// Boot selects the provider, derives the keyring from its root secret and
// opens the tombstone registry in the data directory.
func Boot(ctx context.Context, cfg BootConfig, log *slog.Logger) (*Booted, error) {
	p, err := Select(ctx, cfg.Mode, cfg.RequireTEE, cfg.DataDir, cfg.SimulatorEndpoint, log)
	if err != nil {
		return nil, err
	}
	kr, err := keys.Load(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("enclave: %w", err)
	}
	reg, err := tombstone.Open(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("enclave: %w", err)
	}
	return &Booted{Provider: p, Keyring: kr, Tombstones: reg}, nil
}
