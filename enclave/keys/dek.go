package keys

import (
	"context"
	"encoding/binary"
	"fmt"

	"confidant/enclave/internal/primitive"
)

// Wrapped data key layout (65 bytes):
//
//	[0]      format version (wrapFormatV1)
//	[1:5]    KEK version, big-endian
//	[5:17]   GCM nonce
//	[17:65]  AES-256-GCM(KEK, DEK) with its 16-byte tag
//
// The AAD is labelWrapAAD, the 16 user id bytes and the 5 header bytes, so a
// wrapped key moved to another user or relabelled with another KEK version
// fails to unwrap.
const (
	wrapFormatV1 = 0x01
	wrapHeaderSz = 1 + 4
	wrappedSize  = wrapHeaderSz + primitive.NonceSize + KeySize + primitive.TagSize
)

// NewDEK returns a fresh random 256-bit data key.
func NewDEK() ([]byte, error) {
	dek, err := primitive.RandomBytes(KeySize)
	if err != nil {
		return nil, fmt.Errorf("keys: new data key: %w", err)
	}
	return dek, nil
}

// WrapDEK encrypts a user's data key under the current KEK.
func (k *Keyring) WrapDEK(user UserID, dek []byte) ([]byte, error) {
	nonce, err := primitive.RandomNonce()
	if err != nil {
		return nil, fmt.Errorf("keys: wrap: %w", err)
	}
	return k.wrapWithNonce(user, dek, k.current, nonce)
}

// WrapDEKWithVersion encrypts a user's data key under KEK version v. The
// store passes the version recorded in the database, so processes started
// before a rotation still wrap new keys under the rotation's target.
func (k *Keyring) WrapDEKWithVersion(user UserID, dek []byte, version uint32) ([]byte, error) {
	nonce, err := primitive.RandomNonce()
	if err != nil {
		return nil, fmt.Errorf("keys: wrap: %w", err)
	}
	return k.wrapWithNonce(user, dek, version, nonce)
}

// UnwrapRewrap unwraps a data key and wraps it again under KEK version v,
// with the same tombstone check as UnwrapDEK.
func (k *Keyring) UnwrapRewrap(ctx context.Context, tombstones TombstoneChecker, user UserID, wrapped []byte, version uint32) ([]byte, error) {
	dek, err := k.UnwrapDEK(ctx, tombstones, user, wrapped)
	if err != nil {
		return nil, err
	}
	return k.WrapDEKWithVersion(user, dek, version)
}

func (k *Keyring) wrapWithNonce(user UserID, dek []byte, version uint32, nonce []byte) ([]byte, error) {
	if len(dek) != KeySize {
		return nil, ErrDEKSize
	}
	kek, err := k.KEK(version)
	if err != nil {
		return nil, err
	}
	out := make([]byte, wrapHeaderSz, wrappedSize)
	out[0] = wrapFormatV1
	binary.BigEndian.PutUint32(out[1:5], version)
	out = append(out, nonce...)
	out, err = primitive.SealGCM(out, kek, nonce, dek, wrapAAD(user, out[:wrapHeaderSz]))
	if err != nil {
		return nil, fmt.Errorf("keys: wrap: %w", err)
	}
	return out, nil
}

// UnwrapDEK returns the user's data key. It first asks tombstones whether the
// user was deleted and refuses with ErrUserDeleted if so; if the check itself
// fails, it refuses too, so a restored dump cannot resurrect a deleted user.
func (k *Keyring) UnwrapDEK(ctx context.Context, tombstones TombstoneChecker, user UserID, wrapped []byte) ([]byte, error) {
	if tombstones == nil {
		return nil, ErrNoTombstoneChecker
	}
	deleted, err := tombstones.IsTombstoned(ctx, k.TombstoneID(user))
	if err != nil {
		return nil, fmt.Errorf("keys: tombstone check: %w", err)
	}
	if deleted {
		return nil, ErrUserDeleted
	}
	version, err := WrappedKEKVersion(wrapped)
	if err != nil {
		return nil, err
	}
	kek, err := k.KEK(version)
	if err != nil {
		return nil, err
	}
	nonce := wrapped[wrapHeaderSz : wrapHeaderSz+primitive.NonceSize]
	ct := wrapped[wrapHeaderSz+primitive.NonceSize:]
	dek, err := primitive.OpenGCM(nil, kek, nonce, ct, wrapAAD(user, wrapped[:wrapHeaderSz]))
	if err != nil {
		return nil, ErrUnwrap
	}
	return dek, nil
}

// RewrapDEK unwraps a data key (with the same tombstone check as UnwrapDEK)
// and wraps it again under the current KEK. It returns the input unchanged
// and rotated=false when it already uses the current KEK.
func (k *Keyring) RewrapDEK(ctx context.Context, tombstones TombstoneChecker, user UserID, wrapped []byte) (out []byte, rotated bool, err error) {
	dek, err := k.UnwrapDEK(ctx, tombstones, user, wrapped)
	if err != nil {
		return nil, false, err
	}
	if v, _ := WrappedKEKVersion(wrapped); v == k.current {
		return wrapped, false, nil
	}
	out, err = k.WrapDEK(user, dek)
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// WrappedKEKVersion returns the KEK version a wrapped data key was made with,
// so a rotation can find the keys still on an old version.
func WrappedKEKVersion(wrapped []byte) (uint32, error) {
	if len(wrapped) != wrappedSize {
		return 0, fmt.Errorf("%w: %d bytes, want %d", ErrWrappedFormat, len(wrapped), wrappedSize)
	}
	if wrapped[0] != wrapFormatV1 {
		return 0, fmt.Errorf("%w: format version %d", ErrWrappedFormat, wrapped[0])
	}
	v := binary.BigEndian.Uint32(wrapped[1:5])
	if v == 0 {
		return 0, fmt.Errorf("%w: KEK version 0", ErrWrappedFormat)
	}
	return v, nil
}

func wrapAAD(user UserID, header []byte) []byte {
	aad := make([]byte, 0, len(labelWrapAAD)+1+len(user)+len(header))
	aad = append(aad, labelWrapAAD...)
	aad = append(aad, 0)
	aad = append(aad, user[:]...)
	return append(aad, header...)
}
