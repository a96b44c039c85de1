package transfer

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestGuardedDialer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	for _, host := range []string{"127.0.0.1", "localhost"} {
		addr := net.JoinHostPort(host, port)
		if _, err := GuardedDialer(false)(context.Background(), "tcp", addr); !errors.Is(err, ErrBlockedAddress) {
			t.Errorf("%s: a guarded dialer connected (err = %v)", addr, err)
		}
		resp, err := NewClient(GuardedDialer(false)).Get("http://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: the guarded client reached loopback", addr)
		}
		c, err := GuardedDialer(true)(context.Background(), "tcp", addr)
		if err != nil {
			t.Errorf("%s: a simulated enclave may reach loopback: %v", addr, err)
		} else {
			c.Close()
		}
	}
}

func TestBlockedAddresses(t *testing.T) {
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1", true}, {"::1", true}, {"10.1.2.3", true}, {"172.16.0.1", true}, {"192.168.1.1", true},
		{"169.254.169.254", true}, {"fe80::1", true}, {"fc00::1", true}, {"0.0.0.0", true}, {"::", true},
		{"100.64.0.1", true}, {"::ffff:127.0.0.1", true}, {"224.0.0.1", true},
		{"93.184.216.34", false}, {"2606:2800:220:1::1", false},
	} {
		if got := blocked(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("blocked(%s) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// A source on real hardware does not fetch offers from loopback or
// private addresses (server-side request forgery); a simulated one may.
func TestInspectRefusesPrivateDestination(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) }))
	t.Cleanup(srv.Close)
	id := "00000000-0000-4000-8000-000000000001"
	real := New(Config{Origin: "https://source.example", Simulated: false})
	if _, err := real.Inspect(context.Background(), srv.URL, id); !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("hardware source: err = %v, want ErrBlockedAddress", err)
	}
	sim := New(Config{Origin: "https://source.example", Simulated: true})
	if _, err := sim.Inspect(context.Background(), srv.URL, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("simulated source: err = %v, want the destination's 404", err)
	}
}
