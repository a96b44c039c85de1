package enclave

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// SimulatorEndpointEnv names the environment variable that points dstack
// clients at a simulator. Configuration code reads it and passes the value to
// DiscoverDstack or Select; this package never reads the environment.
const SimulatorEndpointEnv = "DSTACK_SIMULATOR_ENDPOINT"

// probeTimeout bounds the /Info probe of one candidate endpoint.
const probeTimeout = 5 * time.Second

// DefaultSocketPaths returns the guest agent socket paths, in the order the
// dstack SDKs try them.
func DefaultSocketPaths() []string {
	return []string{
		"/var/run/dstack.sock",
		"/run/dstack.sock",
		"/var/run/dstack/dstack.sock",
		"/run/dstack/dstack.sock",
	}
}

// DiscoverDstack finds a guest agent that answers /Info. A non-empty
// simulatorEndpoint (the value of DSTACK_SIMULATOR_ENDPOINT: a URL or a
// socket path) is the only candidate; otherwise DefaultSocketPaths are tried
// in order. The error wraps ErrNoDstack when none answers.
func DiscoverDstack(ctx context.Context, simulatorEndpoint string) (*Dstack, error) {
	return discoverDstack(ctx, simulatorEndpoint, DefaultSocketPaths())
}

func discoverDstack(ctx context.Context, simulatorEndpoint string, sockets []string) (*Dstack, error) {
	if simulatorEndpoint != "" {
		d, err := probe(ctx, simulatorEndpoint)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrNoDstack, simulatorEndpoint, err)
		}
		return d, nil
	}
	var errs []error
	for _, path := range sockets {
		fi, err := os.Stat(path)
		if err != nil {
			continue // not there: the usual case outside a CVM
		}
		if fi.Mode()&os.ModeSocket == 0 {
			errs = append(errs, fmt.Errorf("%s is not a socket", path))
			continue
		}
		d, err := probe(ctx, path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		return d, nil
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("%w: no socket at %v", ErrNoDstack, sockets)
	}
	return nil, fmt.Errorf("%w: %w", ErrNoDstack, errors.Join(errs...))
}

// probe connects to endpoint and checks that /Info answers sensibly.
func probe(ctx context.Context, endpoint string) (*Dstack, error) {
	d, err := NewDstack(endpoint, nil)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if _, err := d.Info(ctx); err != nil {
		return nil, err
	}
	return d, nil
}
