package netguard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
)

func TestAllowed(t *testing.T) {
	tests := []struct {
		ip   string
		want bool
	}{
		{"93.184.216.34", true},
		{"1.1.1.1", true},
		{"2606:4700:4700::1111", true},
		{"127.0.0.1", false},
		{"127.8.9.10", false},
		{"::1", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"172.32.0.1", true},
		{"192.168.1.1", false},
		{"169.254.169.254", false},
		{"100.64.0.1", false},
		{"100.127.255.255", false},
		{"100.128.0.1", true},
		{"0.0.0.0", false},
		{"::", false},
		{"224.0.0.251", false},
		{"255.255.255.255", false},
		{"fd00::1", false},
		{"fc00::1", false},
		{"fe80::1", false},
		{"ff02::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:93.184.216.34", true},
		{"64:ff9b::a00:1", false},
		{"2002:a00:1::", false},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			if got := Allowed(netip.MustParseAddr(tt.ip)); got != tt.want {
				t.Fatalf("Allowed(%s) = %v, want %v", tt.ip, got, tt.want)
			}
		})
	}
}

// fakeResolver answers from a table, as a hostile DNS server might.
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	list, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, s := range list {
		out = append(out, netip.MustParseAddr(s))
	}
	return out, nil
}

func TestGuardResolve(t *testing.T) {
	r := fakeResolver{
		"mail.example.org": {"93.184.216.34"},
		"rebind.example":   {"93.184.216.34", "127.0.0.1"},
		"metadata.example": {"169.254.169.254"},
		"intranet.example": {"10.0.0.5"},
	}
	tests := []struct {
		name, host   string
		allowPrivate bool
		wantErr      error
	}{
		{"public name", "mail.example.org", false, nil},
		{"one private address among public ones", "rebind.example", false, ErrRefused},
		{"cloud metadata", "metadata.example", false, ErrRefused},
		{"private network", "intranet.example", false, ErrRefused},
		{"loopback literal", "127.0.0.1", false, ErrRefused},
		{"IPv6 loopback in brackets", "[::1]", false, ErrRefused},
		{"public literal", "93.184.216.34", false, nil},
		{"private allowed when simulated", "intranet.example", true, nil},
		{"loopback allowed when simulated", "127.0.0.1", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &Guard{AllowPrivate: tt.allowPrivate, Resolver: r}
			_, err := g.Resolve(context.Background(), tt.host)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Resolve(%s) = %v, want %v", tt.host, err, tt.wantErr)
			}
		})
	}
}

// TestGuardDialsTheCheckedAddress proves the guard refuses a loopback
// listener when strict and reaches it when private addresses are allowed.
func TestGuardDialsTheCheckedAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	r := fakeResolver{"sneaky.example": {"127.0.0.1"}}
	strict := &Guard{Resolver: r}
	if _, err := strict.DialContext(context.Background(), "tcp", net.JoinHostPort("sneaky.example", port)); !errors.Is(err, ErrRefused) {
		t.Fatalf("strict dial to a name for loopback: %v", err)
	}
	open := &Guard{Resolver: r, AllowPrivate: true}
	conn, err := open.DialContext(context.Background(), "tcp", net.JoinHostPort("sneaky.example", port))
	if err != nil {
		t.Fatalf("simulated dial: %v", err)
	}
	conn.Close()
}

func TestCheckPlaintext(t *testing.T) {
	tests := []struct {
		host string
		ok   bool
	}{
		{"localhost", true},
		{"LOCALHOST.", true},
		{"mail.localhost", true},
		{"127.0.0.1", true},
		{"[::1]", true},
		{"::1", true},
		{"mail.example.org", false},
		{"10.0.0.1", false},
		{"localhost.example.org", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			err := CheckPlaintext(tt.host)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrPlaintext)) {
				t.Fatalf("CheckPlaintext(%q) = %v, want ok=%v", tt.host, err, tt.ok)
			}
		})
	}
}
