package primitive

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
)

const (
	// KeySize is the AES-256 key size in bytes.
	KeySize = 32
	// NonceSize is the GCM nonce size in bytes (96 bits).
	NonceSize = 12
	// TagSize is the GCM tag size in bytes (128 bits).
	TagSize = 16
)

// NewGCM returns AES-256-GCM with a 96-bit nonce and a 128-bit tag, for
// callers that seal many values under one key.
func NewGCM(key []byte) (cipher.AEAD, error) { return newGCM(key) }

// newGCM returns AES-256-GCM with a 96-bit nonce and a 128-bit tag.
func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, ErrKeySize
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("primitive: aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("primitive: gcm: %w", err)
	}
	return aead, nil
}

// SealGCM appends the AES-256-GCM encryption of plaintext, authenticated with
// aad, to dst and returns the result (ciphertext followed by the 16-byte tag).
// The nonce must never repeat under one key; use RandomNonce.
func SealGCM(dst, key, nonce, plaintext, aad []byte) ([]byte, error) {
	if len(nonce) != NonceSize {
		return nil, ErrNonceSize
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	return aead.Seal(dst, nonce, plaintext, aad), nil
}

// OpenGCM authenticates and decrypts ciphertext (with its tag) and appends the
// plaintext to dst. Any authentication failure is reported as ErrOpen.
func OpenGCM(dst, key, nonce, ciphertext, aad []byte) ([]byte, error) {
	if len(nonce) != NonceSize {
		return nil, ErrNonceSize
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(ciphertext) < TagSize {
		return nil, ErrOpen
	}
	out, err := aead.Open(dst, nonce, ciphertext, aad)
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}

// RandomNonce returns a fresh random 96-bit nonce.
func RandomNonce() ([]byte, error) {
	return RandomBytes(NonceSize)
}

// RandomBytes returns n bytes from the operating system's CSPRNG.
func RandomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("primitive: random: %w", err)
	}
	return b, nil
}
