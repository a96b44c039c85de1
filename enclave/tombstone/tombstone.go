// Package tombstone keeps the enclave's list of deleted users outside the
// database: an append-only file in the data directory. Restoring an older
// database dump brings back rows, but not this file, so the key hierarchy
// keeps refusing to unwrap a deleted user's data key.
//
// Entries are keyed hashes of user ids (keys.Keyring.TombstoneID): the file
// says that someone was deleted, not who.
package tombstone

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// FileName is the registry file inside the data directory.
const FileName = "tombstones.log"

// idSize is the length of a tombstone id (an HMAC-SHA256).
const idSize = 32

// ErrBadID means an id is not a 32-byte tombstone id.
var ErrBadID = errors.New("tombstone: id must be 32 bytes")

// Registry is the set of tombstones, mirrored to a file. It is safe for
// concurrent use and implements keys.TombstoneChecker.
type Registry struct {
	mu   sync.RWMutex
	path string
	ids  map[string]struct{}
}

// Open loads the registry from dir, creating the file if it is missing.
func Open(dir string) (*Registry, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("tombstone: %w", err)
	}
	r := &Registry{path: filepath.Join(dir, FileName), ids: map[string]struct{}{}}
	f, err := os.OpenFile(r.path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("tombstone: open %s: %w", r.path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		id, err := hex.DecodeString(sc.Text())
		if err != nil || len(id) != idSize {
			// A torn last line from a crash mid-append is skipped; it is
			// written again by the next sync from the database.
			continue
		}
		r.ids[string(id)] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tombstone: read %s: %w", r.path, err)
	}
	if err := endWithNewline(r.path); err != nil {
		return nil, err
	}
	return r, nil
}

// IsTombstoned reports whether id is in the registry.
func (r *Registry) IsTombstoned(_ context.Context, id []byte) (bool, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.ids[string(id)]
	return ok, nil
}

// Add records ids durably (appended and synced) before returning.
func (r *Registry) Add(ids ...[]byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var fresh [][]byte
	for _, id := range ids {
		if len(id) != idSize {
			return ErrBadID
		}
		if _, ok := r.ids[string(id)]; !ok {
			fresh = append(fresh, id)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("tombstone: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, id := range fresh {
		fmt.Fprintf(w, "%x\n", id)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("tombstone: write: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("tombstone: sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("tombstone: close: %w", err)
	}
	for _, id := range fresh {
		r.ids[string(id)] = struct{}{}
	}
	return nil
}

// All returns every id in the registry.
func (r *Registry) All() [][]byte {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([][]byte, 0, len(r.ids))
	for id := range r.ids {
		out = append(out, []byte(id))
	}
	return out
}

// endWithNewline terminates a torn last line, so the next append starts a
// line of its own.
func endWithNewline(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("tombstone: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.Size() == 0 {
		return err
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, info.Size()-1); err != nil {
		return fmt.Errorf("tombstone: %w", err)
	}
	if last[0] == '\n' {
		return nil
	}
	if _, err := f.WriteAt([]byte{'\n'}, info.Size()); err != nil {
		return fmt.Errorf("tombstone: %w", err)
	}
	return f.Sync()
}
