package primitive

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
)

// maxHKDFLength is the longest output HKDF-SHA256 can produce (255 blocks).
const maxHKDFLength = 255 * sha256.Size

// HKDF derives length bytes from secret with HKDF-SHA256 (RFC 5869). An empty
// salt means a string of zeros, as the RFC specifies.
func HKDF(secret, salt []byte, info string, length int) ([]byte, error) {
	if length <= 0 || length > maxHKDFLength {
		return nil, ErrLength
	}
	out, err := hkdf.Key(sha256.New, secret, salt, info, length)
	if err != nil {
		return nil, fmt.Errorf("primitive: hkdf: %w", err)
	}
	return out, nil
}

// HKDFExtract is the extract step of HKDF-SHA256: it returns the 32-byte
// pseudorandom key.
func HKDFExtract(secret, salt []byte) ([]byte, error) {
	prk, err := hkdf.Extract(sha256.New, secret, salt)
	if err != nil {
		return nil, fmt.Errorf("primitive: hkdf extract: %w", err)
	}
	return prk, nil
}

// HKDFExpand is the expand step of HKDF-SHA256 from a pseudorandom key.
func HKDFExpand(prk []byte, info string, length int) ([]byte, error) {
	if length <= 0 || length > maxHKDFLength {
		return nil, ErrLength
	}
	out, err := hkdf.Expand(sha256.New, prk, info, length)
	if err != nil {
		return nil, fmt.Errorf("primitive: hkdf expand: %w", err)
	}
	return out, nil
}

// HMAC returns HMAC-SHA256 of the concatenation of parts under key.
func HMAC(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// Equal reports whether a and b are equal, in time that depends only on their
// lengths.
func Equal(a, b []byte) bool {
	return hmac.Equal(a, b)
}
