package transfer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"confidant/internal/netguard"
)

// Dialer opens network connections to user-supplied hosts (the same shape
// as connectors.Dialer).
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// GuardedDialer dials through the app's network guard (internal/netguard,
// the one the mail and calendar connectors use): it resolves the host
// itself, refuses loopback, private, link-local, NAT64, 6to4 and every
// other internal range unless allowPrivate (the app's own enclave is
// simulated: development on one machine), and dials the address it
// checked, so a name that resolves to an internal address is refused too.
func GuardedDialer(allowPrivate bool) Dialer {
	g := &netguard.Guard{AllowPrivate: allowPrivate, Timeout: 10 * time.Second}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := g.DialContext(ctx, network, addr)
		if errors.Is(err, netguard.ErrRefused) {
			return nil, fmt.Errorf("%w: %w", ErrBlockedAddress, err)
		}
		return conn, err
	}
}

// NewClient returns the HTTP client for peer requests: it dials only
// through dial and never follows redirects (a redirect could point
// anywhere; the protocol has none).
func NewClient(dial Dialer) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:           dial,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 5 * time.Minute, // the destination imports before it answers
			MaxIdleConns:          4,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
