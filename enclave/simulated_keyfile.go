package enclave

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// SimulatedKeyFile is the name of the simulated root key in the data directory.
const SimulatedKeyFile = "simulated-root.key"

// rootKeySize is the size of the simulated root key.
const rootKeySize = 32

// loadOrCreateRootKey reads the root key from dataDir, creating it with 32
// random bytes and mode 0600 on first use. It refuses a file of the wrong
// size, one that group or others may access, and anything but a regular file.
func loadOrCreateRootKey(dataDir string) (key []byte, path string, created bool, err error) {
	if dataDir == "" {
		return nil, "", false, fmt.Errorf("%w: no data directory", ErrKeyFile)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, "", false, fmt.Errorf("enclave: create data directory: %w", err)
	}
	path = filepath.Join(dataDir, SimulatedKeyFile)
	created, err = createRootKey(path)
	if err != nil {
		return nil, path, false, err
	}
	key, err = readRootKey(path)
	return key, path, created, err
}

// createRootKey writes a new key unless the file exists. It reports whether
// it wrote one. O_EXCL makes two processes starting at once agree on a key.
func createRootKey(path string) (bool, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("enclave: create %s: %w", path, err)
	}
	key := make([]byte, rootKeySize)
	if _, err := rand.Read(key); err != nil {
		f.Close()
		os.Remove(path)
		return false, fmt.Errorf("enclave: random root key: %w", err)
	}
	_, werr := f.Write(key)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return false, fmt.Errorf("enclave: write %s: %w", path, werr)
	}
	return true, nil
}

// readRootKey reads and checks an existing key file.
func readRootKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("enclave: open %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("enclave: stat %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrKeyFile, path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %#o; it must be private to its owner (chmod 600 %s)", ErrKeyFile, path, perm, path)
	}
	if fi.Size() != rootKeySize {
		return nil, fmt.Errorf("%w: %s has %d bytes, want %d; restore the original file or delete it to start over (sealed data will be lost)", ErrKeyFile, path, fi.Size(), rootKeySize)
	}
	key := make([]byte, rootKeySize)
	if _, err := io.ReadFull(f, key); err != nil {
		return nil, fmt.Errorf("%w: read %s: %w", ErrKeyFile, path, err)
	}
	return key, nil
}
