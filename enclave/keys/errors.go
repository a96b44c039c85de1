package keys

import "errors"

var (
	// ErrRootSize is returned when the root secret is shorter than 32 bytes.
	ErrRootSize = errors.New("keys: root secret must be at least 32 bytes")
	// ErrKEKVersion is returned for KEK version 0, which is never valid.
	ErrKEKVersion = errors.New("keys: KEK versions start at 1")
	// ErrDEKSize is returned when a data key is not 32 bytes.
	ErrDEKSize = errors.New("keys: data key must be 32 bytes")
	// ErrWrappedFormat is returned when a wrapped data key is malformed or has
	// an unknown format version.
	ErrWrappedFormat = errors.New("keys: malformed wrapped data key")
	// ErrUnwrap is returned when a wrapped data key fails authentication: it
	// was tampered with, belongs to another user, or was wrapped by another
	// enclave.
	ErrUnwrap = errors.New("keys: wrapped data key does not authenticate")
	// ErrUserDeleted is returned when the user's account was deleted: the
	// enclave refuses to unwrap the data key of a tombstoned user.
	ErrUserDeleted = errors.New("keys: user was deleted")
	// ErrNoTombstoneChecker is returned when UnwrapDEK is called without a
	// TombstoneChecker; the enclave does not unwrap unchecked.
	ErrNoTombstoneChecker = errors.New("keys: a tombstone checker is required")
	// ErrUserID is returned when a user id cannot be parsed.
	ErrUserID = errors.New("keys: invalid user id")
)
