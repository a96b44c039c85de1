package enclave

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestSelect(t *testing.T) {
	agentSocket := serveUnix(t, newFakeAgent(t))
	brokenAgent := newFakeAgent(t)
	brokenAgent.failures["Info"] = agentFailure{500, `{"error":"boom"}`}
	brokenSocket := serveUnix(t, brokenAgent)
	httpAgent := httptest.NewServer(newFakeAgent(t))
	t.Cleanup(httpAgent.Close)
	plainFile := filepath.Join(t.TempDir(), "not-a-socket")
	if err := os.WriteFile(plainFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.sock")

	tests := []struct {
		name       string
		mode       string
		requireTEE bool
		simulator  string
		sockets    []string
		wantKind   Kind
		wantErr    error
	}{
		{"auto finds socket", "auto", false, "", []string{missing, agentSocket}, KindDstack, nil},
		{"empty mode is auto", "", true, "", []string{agentSocket}, KindDstack, nil},
		{"auto falls back", "auto", false, "", []string{missing, plainFile}, KindSimulated, nil},
		{"auto skips broken agent", "auto", false, "", []string{brokenSocket}, KindSimulated, nil},
		{"auto broken then good", "auto", true, "", []string{brokenSocket, agentSocket}, KindDstack, nil},
		{"auto requireTEE refuses fallback", "auto", true, "", []string{missing}, "", ErrTEERequired},
		{"dstack required", "dstack", false, "", []string{missing}, "", ErrNoDstack},
		{"dstack broken agent", "dstack", false, "", []string{brokenSocket}, "", ErrAgent},
		{"simulated", "simulated", false, "", []string{agentSocket}, KindSimulated, nil},
		{"simulated with requireTEE", "simulated", true, "", nil, "", ErrTEERequired},
		{"simulator socket", "auto", false, agentSocket, nil, KindDstack, nil},
		{"simulator url", "dstack", false, httpAgent.URL, nil, KindDstack, nil},
		{"simulator overrides sockets", "dstack", false, missing, []string{agentSocket}, "", ErrNoDstack},
		{"simulator with requireTEE", "auto", true, agentSocket, nil, "", ErrTEERequired},
		{"invalid mode", "tdx", false, "", nil, "", ErrInvalidMode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := selectProvider(context.Background(), tt.mode, tt.requireTEE, t.TempDir(), tt.simulator, tt.sockets, nil)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if p.Kind() != tt.wantKind {
				t.Fatalf("kind = %q, want %q", p.Kind(), tt.wantKind)
			}
		})
	}
}

func TestSelectPublicUsesDefaultSockets(t *testing.T) {
	// Outside a CVM the default sockets are absent, so auto falls back.
	for _, p := range DefaultSocketPaths() {
		if _, err := os.Stat(p); err == nil {
			t.Skipf("%s exists on this machine", p)
		}
	}
	p, err := Select(context.Background(), ModeAuto, false, t.TempDir(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind() != KindSimulated {
		t.Fatalf("kind = %q", p.Kind())
	}
	if _, err := Select(context.Background(), ModeAuto, true, t.TempDir(), "", nil); !errors.Is(err, ErrTEERequired) {
		t.Fatalf("err = %v", err)
	}
}

func TestDiscoverDstack(t *testing.T) {
	socket := serveUnix(t, newFakeAgent(t))
	d, err := DiscoverDstack(context.Background(), socket)
	if err != nil {
		t.Fatal(err)
	}
	if d.Endpoint() != socket {
		t.Fatalf("endpoint = %q", d.Endpoint())
	}
	d, err = discoverDstack(context.Background(), "", []string{"/nonexistent.sock", socket})
	if err != nil || d.Endpoint() != socket {
		t.Fatalf("discover: %v", err)
	}
}
