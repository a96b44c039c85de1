package enclave

import (
	"context"
	"fmt"
	"log/slog"
)

// Enclave modes accepted by Select (CONFIDANT_ENCLAVE).
const (
	ModeAuto      = "auto"
	ModeDstack    = "dstack"
	ModeSimulated = "simulated"
)

// Select returns the Provider the configuration asks for.
//
//   - auto (or empty): dstack if a guest agent answers /Info, else simulated.
//   - dstack: dstack or an error wrapping ErrNoDstack.
//   - simulated: the simulated enclave.
//
// With requireTEE, Select never returns the simulated enclave, nor a dstack
// client pointed at a simulator (a non-empty simulatorEndpoint, the value of
// DSTACK_SIMULATOR_ENDPOINT): it returns an error wrapping ErrTEERequired.
func Select(ctx context.Context, mode string, requireTEE bool, dataDir, simulatorEndpoint string, log *slog.Logger) (Provider, error) {
	return selectProvider(ctx, mode, requireTEE, dataDir, simulatorEndpoint, DefaultSocketPaths(), log)
}

func selectProvider(ctx context.Context, mode string, requireTEE bool, dataDir, simulatorEndpoint string, sockets []string, log *slog.Logger) (Provider, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	switch mode {
	case ModeAuto, "", ModeDstack, ModeSimulated:
	default:
		return nil, fmt.Errorf("%w: %q (want auto, dstack or simulated)", ErrInvalidMode, mode)
	}
	if requireTEE && mode == ModeSimulated {
		return nil, fmt.Errorf("%w: enclave mode is simulated", ErrTEERequired)
	}
	if requireTEE && simulatorEndpoint != "" {
		return nil, fmt.Errorf("%w: %s is set, which points at a dstack simulator", ErrTEERequired, SimulatorEndpointEnv)
	}
	if mode == ModeSimulated {
		return NewSimulated(dataDir, log)
	}
	d, err := discoverDstack(ctx, simulatorEndpoint, sockets)
	if err == nil {
		log.Info("enclave: using dstack guest agent", slog.String("endpoint", d.Endpoint()))
		return d, nil
	}
	if mode == ModeDstack {
		return nil, err
	}
	if requireTEE {
		return nil, fmt.Errorf("%w: %w", ErrTEERequired, err)
	}
	log.Info("enclave: no dstack guest agent; falling back to the simulated enclave", slog.String("reason", err.Error()))
	return NewSimulated(dataDir, log)
}
