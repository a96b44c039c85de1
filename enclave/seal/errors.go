package seal

import "errors"

var (
	// ErrInvalidKey is returned when a data key is not 32 bytes.
	ErrInvalidKey = errors.New("seal: data key must be 32 bytes")
	// ErrInvalidAAD is returned when a field of the AAD is empty or too long.
	ErrInvalidAAD = errors.New("seal: invalid additional data")
	// ErrCorrupt is returned when a sealed value is truncated, was tampered
	// with, or belongs to another row, column or user.
	ErrCorrupt = errors.New("seal: sealed value is corrupt or belongs elsewhere")
	// ErrUnsupportedVersion is returned for an unknown format version byte.
	ErrUnsupportedVersion = errors.New("seal: unsupported format version")
	// ErrWrongKey is returned when a value was sealed under another data key.
	ErrWrongKey = errors.New("seal: sealed under a different key")
)
