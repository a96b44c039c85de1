package enclave

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"confidant/enclave/internal/primitive"
)

func newTestSimulated(t *testing.T, dir string) *Simulated {
	t.Helper()
	s, err := NewSimulated(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSimulatedWarnsOnce(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	if _, err := NewSimulated(t.TempDir(), log); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one log line, got %d: %s", len(lines), buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["level"] != "WARN" || !strings.Contains(rec["msg"].(string), "NOT protected by hardware") {
		t.Fatalf("log = %v", rec)
	}
}

func TestSimulatedDeriveKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := newTestSimulated(t, dir)
	k1, err := s.DeriveKey(ctx, "confidant/root/v1")
	if err != nil {
		t.Fatal(err)
	}
	root, err := os.ReadFile(filepath.Join(dir, SimulatedKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := primitive.HKDF(root, nil, "confidant/root/v1", 32)
	if !bytes.Equal(k1, want) {
		t.Fatal("DeriveKey is not HKDF-SHA256(root, info=path)")
	}
	again, _ := newTestSimulated(t, dir).DeriveKey(ctx, "confidant/root/v1")
	if !bytes.Equal(k1, again) {
		t.Fatal("key changed across restarts")
	}
	other, _ := s.DeriveKey(ctx, "confidant/root/v2")
	elsewhere, _ := newTestSimulated(t, t.TempDir()).DeriveKey(ctx, "confidant/root/v1")
	if bytes.Equal(k1, other) || bytes.Equal(k1, elsewhere) {
		t.Fatal("keys collide across paths or data directories")
	}
	if _, err := s.DeriveKey(ctx, ""); !errors.Is(err, ErrInvalidPath) {
		t.Fatalf("empty path: err = %v", err)
	}
}

func TestSimulatedInfo(t *testing.T) {
	s := newTestSimulated(t, t.TempDir())
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != KindSimulated || s.Kind() != KindSimulated {
		t.Fatalf("kind = %q", info.Kind)
	}
	for name, v := range map[string]string{
		"AppID": info.AppID, "InstanceID": info.InstanceID, "ComposeHash": info.ComposeHash,
		"MRTD": info.MRTD, "RTMR0": info.RTMR0, "RTMR3": info.RTMR3, "OSImageHash": info.OSImageHash,
		"DeviceID": info.DeviceID,
	} {
		if !strings.HasPrefix(v, "simulated-") {
			t.Errorf("%s = %q, want the simulated- prefix", name, v)
		}
	}
	// Raw has the dstack /Info shape and parses back to the same values.
	back, err := parseInfo(rawBody(info.Raw))
	if err != nil {
		t.Fatal(err)
	}
	if back.AppID != info.AppID || back.MRTD != info.MRTD || back.AppCompose != info.AppCompose {
		t.Fatalf("Raw disagrees with Info: %+v", back)
	}
	if !bytes.Contains(info.Raw, []byte(`"simulated":true`)) {
		t.Fatalf("Raw does not say simulated: %s", info.Raw)
	}
	// Same data directory: same app id, new instance id. Another directory:
	// another app id.
	dir := t.TempDir()
	a, _ := newTestSimulated(t, dir).Info(context.Background())
	b, _ := newTestSimulated(t, dir).Info(context.Background())
	if a.AppID != b.AppID || a.InstanceID == b.InstanceID {
		t.Fatalf("restart: app id %q/%q, instance id %q/%q", a.AppID, b.AppID, a.InstanceID, b.InstanceID)
	}
	if a.AppID == info.AppID {
		t.Fatal("different data directories share an app id")
	}
}

func TestSimulatedHonoursContext(t *testing.T) {
	s := newTestSimulated(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Quote(ctx, [64]byte{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Quote err = %v", err)
	}
	if _, err := s.DeriveKey(ctx, "p"); !errors.Is(err, context.Canceled) {
		t.Fatalf("DeriveKey err = %v", err)
	}
	if _, err := s.Info(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Info err = %v", err)
	}
}
