package enclave

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRootKeyFileCreatedPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	key, path, created, err := loadOrCreateRootKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !created || len(key) != 32 {
		t.Fatalf("created=%v len=%d", created, len(key))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %#o, want 0600", fi.Mode().Perm())
	}
	again, _, created, err := loadOrCreateRootKey(dir)
	if err != nil || created || !bytes.Equal(key, again) {
		t.Fatalf("reload: created=%v err=%v same=%v", created, err, bytes.Equal(key, again))
	}
}

func TestRootKeyFileRefused(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
	}{
		{"group readable", func(t *testing.T, path string) { writeKeyFile(t, path, 32, 0o640) }},
		{"world readable", func(t *testing.T, path string) { writeKeyFile(t, path, 32, 0o604) }},
		{"group writable", func(t *testing.T, path string) { writeKeyFile(t, path, 32, 0o620) }},
		{"too short", func(t *testing.T, path string) { writeKeyFile(t, path, 31, 0o600) }},
		{"too long", func(t *testing.T, path string) { writeKeyFile(t, path, 33, 0o600) }},
		{"empty", func(t *testing.T, path string) { writeKeyFile(t, path, 0, 0o600) }},
		{"directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, filepath.Join(dir, SimulatedKeyFile))
			_, _, _, err := loadOrCreateRootKey(dir)
			if !errors.Is(err, ErrKeyFile) {
				t.Fatalf("err = %v, want ErrKeyFile", err)
			}
			if _, err := NewSimulated(dir, nil); !errors.Is(err, ErrKeyFile) {
				t.Fatalf("NewSimulated err = %v, want ErrKeyFile", err)
			}
		})
	}
}

func TestRootKeyNoDataDir(t *testing.T) {
	if _, _, _, err := loadOrCreateRootKey(""); !errors.Is(err, ErrKeyFile) {
		t.Fatalf("err = %v", err)
	}
}

func writeKeyFile(t *testing.T, path string, size int, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, bytes.Repeat([]byte{1}, size), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
