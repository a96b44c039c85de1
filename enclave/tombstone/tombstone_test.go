package tombstone

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func id(b byte) []byte { return bytes.Repeat([]byte{b}, idSize) }

func TestRegistryPersists(t *testing.T) {
	dir := t.TempDir()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := r.Add(id(1), id(2), id(1)); err != nil {
		t.Fatal(err)
	}
	if err := r.Add([]byte("short")); !errors.Is(err, ErrBadID) {
		t.Fatalf("short id: %v", err)
	}
	// A crash mid-append leaves a torn line; it is ignored on reload.
	f, _ := os.OpenFile(filepath.Join(dir, FileName), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("abcd")
	f.Close()

	again, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id   []byte
		want bool
	}{{id(1), true}, {id(2), true}, {id(3), false}} {
		got, _ := again.IsTombstoned(ctx, tt.id)
		if got != tt.want {
			t.Errorf("IsTombstoned(%x) = %v, want %v", tt.id[:1], got, tt.want)
		}
	}
	if err := again.Add(id(4)); err != nil {
		t.Fatal(err)
	}
	third, _ := Open(dir)
	if ok, _ := third.IsTombstoned(ctx, id(4)); !ok {
		t.Error("entry appended after a torn line was lost")
	}
	if n := len(again.All()); n != 3 {
		t.Errorf("All = %d ids", n)
	}
	info, _ := os.Stat(filepath.Join(dir, FileName))
	if info.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v", info.Mode().Perm())
	}
}
