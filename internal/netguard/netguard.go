// Package netguard refuses outbound connections to addresses a user-chosen
// host must not reach from inside the enclave (loopback, private,
// link-local and other special ranges), closing the server-side request
// forgery hole that user-supplied mail and calendar hosts open.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// ErrRefused is what a refused address gives; errors wrap it.
var ErrRefused = errors.New("netguard: address refused")

// ErrPlaintext is what a plain-text connection to a host other than
// loopback gives.
var ErrPlaintext = errors.New("netguard: plain text refused")

// blocked are the ranges no user-chosen host may resolve to: they reach
// the enclave itself, its network, or nothing routable.
var blocked = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network", unspecified
		"10.0.0.0/8",      // private (RFC 1918)
		"100.64.0.0/10",   // carrier-grade NAT (RFC 6598)
		"127.0.0.0/8",     // loopback
		"169.254.0.0/16",  // link-local, cloud metadata services
		"172.16.0.0/12",   // private (RFC 1918)
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"192.88.99.0/24",  // 6to4 relay anycast
		"192.168.0.0/16",  // private (RFC 1918)
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"224.0.0.0/4",     // multicast
		"240.0.0.0/4",     // reserved, broadcast
		"::/128",          // unspecified
		"::1/128",         // loopback
		"::ffff:0:0/96",   // IPv4-mapped: checked as IPv4 after unmapping
		"64:ff9b::/96",    // NAT64, reaches IPv4 ranges
		"64:ff9b:1::/48",  // local NAT64
		"100::/64",        // discard
		"2001::/32",       // Teredo
		"2001:db8::/32",   // documentation
		"2002::/16",       // 6to4, embeds IPv4
		"fc00::/7",        // unique local
		"fe80::/10",       // link-local
		"fec0::/10",       // site-local (deprecated)
		"ff00::/8",        // multicast
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Allowed reports whether a user-chosen host may be reached at ip.
func Allowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() {
		return false
	}
	for _, p := range blocked {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// Resolver looks up a host's addresses; *net.Resolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Guard dials user-chosen hosts. Unless AllowPrivate is set (the simulated
// enclave, where a developer's own mail server on localhost is the point),
// it resolves the host itself, refuses it when any address is not Allowed,
// and dials the address it checked, so a second lookup cannot swap in
// another one (DNS rebinding).
type Guard struct {
	AllowPrivate bool
	Resolver     Resolver      // nil: net.DefaultResolver
	Timeout      time.Duration // per connection attempt; 0: 15 s
}

// DialContext has the signature of net.Dialer's and http.Transport's.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("netguard: %w", err)
	}
	ips, err := g.Resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	d := net.Dialer{Timeout: timeout}
	var errs []error
	for _, ip := range ips {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// Resolve returns the addresses to dial for host, each checked: every
// address must be allowed, not just one, or a host could list a public
// address beside a private one and win a race.
func (g *Guard) Resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	host = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(host, "]"), "["), ".")
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip.WithZone("")}
	} else {
		r := g.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		if ips, err = r.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, fmt.Errorf("netguard: resolve %s: %w", host, err)
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("netguard: %s has no address", host)
		}
	}
	if g.AllowPrivate {
		return ips, nil
	}
	for _, ip := range ips {
		if !Allowed(ip) {
			return nil, fmt.Errorf("%w: %s resolves to %s", ErrRefused, host, ip.Unmap())
		}
	}
	return ips, nil
}

// IsLoopbackHost reports whether host names this machine: "localhost" (and
// its subdomains, which resolvers map to loopback by RFC 6761) or a
// loopback address literal.
func IsLoopbackHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(host, "]"), "["), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// CheckPlaintext refuses a plain-text (no TLS) connection to any host but
// loopback: credentials and mail must not cross a network in the clear.
func CheckPlaintext(host string) error {
	if IsLoopbackHost(host) {
		return nil
	}
	return fmt.Errorf("%w: %s is not this machine", ErrPlaintext, host)
}
