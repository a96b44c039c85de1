package transfer

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Dialer opens network connections to user-supplied hosts (the same shape
// as connectors.Dialer).
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// GuardedDialer refuses loopback, private, link-local, unspecified and
// multicast addresses unless allowPrivate (the app's own enclave is
// simulated: development on one machine). The check runs on the address
// actually connected to, after name resolution, so a name that resolves
// to an internal address is refused too.
func GuardedDialer(allowPrivate bool) Dialer {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrBlockedAddress, address)
			}
			if blocked(ap.Addr()) {
				return fmt.Errorf("%w (%s)", ErrBlockedAddress, ap.Addr())
			}
			return nil
		}
	}
	return d.DialContext
}

// blocked reports whether a is an address a user-supplied host must not
// reach from inside the enclave.
func blocked(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(a) // carrier-grade NAT
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
