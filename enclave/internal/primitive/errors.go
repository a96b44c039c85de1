package primitive

import "errors"

var (
	// ErrKeySize is returned when a key is not KeySize bytes long.
	ErrKeySize = errors.New("primitive: key must be 32 bytes")
	// ErrNonceSize is returned when a nonce is not NonceSize bytes long.
	ErrNonceSize = errors.New("primitive: nonce must be 12 bytes")
	// ErrOpen is returned when a ciphertext fails authentication: it was
	// tampered with, truncated, or sealed under another key or AAD.
	ErrOpen = errors.New("primitive: message authentication failed")
	// ErrLength is returned when HKDF is asked for an impossible output length.
	ErrLength = errors.New("primitive: invalid output length")
)
