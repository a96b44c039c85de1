package keys

import (
	"context"
	"fmt"
	"slices"

	"confidant/enclave/internal/primitive"
)

// KeySize is the size of every derived key and of a data key.
const KeySize = 32

// KeyDeriver is the part of enclave.Provider the key hierarchy needs.
type KeyDeriver interface {
	DeriveKey(ctx context.Context, path string) ([]byte, error)
}

// Keyring holds the enclave's purpose keys, all derived from the root secret.
// It is safe for concurrent use. Accessors return fresh copies.
type Keyring struct {
	prk       []byte // HKDF-Extract(root, extractSalt)
	current   uint32
	signing   []byte
	transfer  []byte
	lookup    []byte
	tombstone []byte
}

// Option configures a Keyring.
type Option func(*Keyring)

// WithCurrentKEKVersion sets the KEK version new wraps use (default 1). Older
// versions stay derivable, so data keys wrapped under them still unwrap.
func WithCurrentKEKVersion(v uint32) Option {
	return func(k *Keyring) { k.current = v }
}

// Load fetches the root secret from d on RootPath and builds the Keyring.
func Load(ctx context.Context, d KeyDeriver, opts ...Option) (*Keyring, error) {
	root, err := d.DeriveKey(ctx, RootPath)
	if err != nil {
		return nil, fmt.Errorf("keys: derive root: %w", err)
	}
	return NewKeyring(root, opts...)
}

// NewKeyring derives the purpose keys from root, which must be at least 32
// bytes of secret key material.
func NewKeyring(root []byte, opts ...Option) (*Keyring, error) {
	if len(root) < KeySize {
		return nil, ErrRootSize
	}
	prk, err := primitive.HKDFExtract(root, []byte(extractSalt))
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	k := &Keyring{prk: prk, current: 1}
	for _, opt := range opts {
		opt(k)
	}
	if k.current == 0 {
		return nil, ErrKEKVersion
	}
	k.signing = k.expand(labelSigning)
	k.transfer = k.expand(labelTransfer)
	k.lookup = k.expand(labelLookup)
	k.tombstone = k.expand(labelTombstone)
	return k, nil
}

// expand derives one 32-byte key for info. HKDF-Expand fails only for
// lengths above 8160 bytes, so an error here is a programming error.
func (k *Keyring) expand(info string) []byte {
	out, err := primitive.HKDFExpand(k.prk, info, KeySize)
	if err != nil {
		panic("keys: unreachable: " + err.Error())
	}
	return out
}

// CurrentKEKVersion returns the KEK version that WrapDEK uses.
func (k *Keyring) CurrentKEKVersion() uint32 {
	return k.current
}

// KEK returns the key-encryption key of the given version (1, 2, ...).
func (k *Keyring) KEK(version uint32) ([]byte, error) {
	if version == 0 {
		return nil, ErrKEKVersion
	}
	return k.expand(kekLabel(version)), nil
}

// BlindIndexKey returns the user's key for blind-index tokens.
func (k *Keyring) BlindIndexKey(user UserID) []byte {
	return k.expand(userLabel(labelBlindIndex, user))
}

// VectorKey returns the user's key for the embedding transform (vecxform).
func (k *Keyring) VectorKey(user UserID) []byte {
	return k.expand(userLabel(labelVector, user))
}

// SigningSeed returns the 32-byte seed of the app's attestation signing key.
func (k *Keyring) SigningSeed() []byte {
	return slices.Clone(k.signing)
}

// TransferSeed returns the 32-byte seed of the export-transfer (HPKE) key.
func (k *Keyring) TransferSeed() []byte {
	return slices.Clone(k.transfer)
}

// AppKey returns the key for sealing short-lived app data that belongs to
// no user yet, such as a sign-up in progress.
func (k *Keyring) AppKey() []byte {
	return k.expand(labelApp)
}

// LookupKey returns the key for keyed hashes of lookup values such as
// usernames, so they can be found without being stored in the clear.
func (k *Keyring) LookupKey() []byte {
	return slices.Clone(k.lookup)
}
