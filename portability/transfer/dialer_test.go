package transfer

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
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

// A source on real hardware sends its one-time token only over https;
// plain http is for loopback (tests, one machine) and simulated enclaves.
func TestInspectRefusesPlainTextDestination(t *testing.T) {
	id := "00000000-0000-4000-8000-000000000001"
	real := New(Config{Origin: "https://source.example", Simulated: false})
	if _, err := real.Inspect(context.Background(), "http://dest.example", id); !errors.Is(err, ErrPlainOrigin) {
		t.Fatalf("plain http to a public host: err = %v, want ErrPlainOrigin", err)
	}
	for _, origin := range []string{"http://localhost:1", "http://127.0.0.1:1", "http://dest.localhost:1"} {
		if err := real.checkScheme(origin); err != nil {
			t.Errorf("%s: %v, want loopback allowed", origin, err)
		}
	}
	if err := real.checkScheme("https://dest.example"); err != nil {
		t.Errorf("https: %v", err)
	}
	sim := New(Config{Origin: "https://source.example", Simulated: true})
	if err := sim.checkScheme("http://dest.example"); err != nil {
		t.Errorf("simulated: %v", err)
	}
}
