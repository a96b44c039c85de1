package keys

import (
	"context"

	"confidant/enclave/internal/primitive"
)

// TombstoneChecker reports whether a tombstone id was recorded for a deleted
// account. The store implements it; the Keyring consults it before every
// unwrap and refuses when it says yes or fails.
type TombstoneChecker interface {
	IsTombstoned(ctx context.Context, id []byte) (bool, error)
}

// TombstoneCheckerFunc adapts a function to TombstoneChecker.
type TombstoneCheckerFunc func(ctx context.Context, id []byte) (bool, error)

// IsTombstoned calls f.
func (f TombstoneCheckerFunc) IsTombstoned(ctx context.Context, id []byte) (bool, error) {
	return f(ctx, id)
}

// TombstoneID returns the 32-byte tombstone id of a user: a keyed hash of the
// user id, so the tombstone table reveals nothing without the enclave.
func (k *Keyring) TombstoneID(user UserID) []byte {
	return primitive.HMAC(k.tombstone, []byte(labelTombstoneMsg), user[:])
}
