package attestation

import (
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"strconv"

	"confidant/inference/signing"
)

// Signers are the app's two signing keys, one per algorithm of the
// convention.
type Signers struct {
	ecdsa   *signing.ECDSAKey
	ed25519 *signing.Ed25519Key
}

// NewSigners derives the signing keys from seed (keys.Keyring.SigningSeed):
// the same enclave identity always gives the same keys.
func NewSigners(seed []byte) (*Signers, error) {
	if len(seed) < 32 {
		return nil, fmt.Errorf("attestation: signing seed of %d bytes, want 32", len(seed))
	}
	s := &Signers{}
	// A 32-byte string is a valid secp256k1 secret unless it is zero or at
	// least the group order (probability ~2^-128): try the next counter.
	for i := 0; s.ecdsa == nil; i++ {
		secret, err := derive(seed, "ecdsa/"+strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		s.ecdsa, _ = signing.NewECDSAKey(secret)
	}
	secret, err := derive(seed, "ed25519")
	if err != nil {
		return nil, err
	}
	if s.ed25519, err = signing.NewEd25519Key(secret); err != nil {
		return nil, fmt.Errorf("attestation: %w", err)
	}
	return s, nil
}

// For returns the signer for algo (ECDSA for anything but Ed25519).
func (s *Signers) For(algo signing.Algo) signing.Signer {
	if algo == signing.Ed25519 {
		return s.ed25519
	}
	return s.ecdsa
}

func derive(seed []byte, purpose string) ([]byte, error) {
	out, err := hkdf.Key(sha256.New, seed, nil, "confidant/attestation/v1/"+purpose, 32)
	if err != nil {
		return nil, fmt.Errorf("attestation: derive %s: %w", purpose, err)
	}
	return out, nil
}
