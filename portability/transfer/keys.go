package transfer

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/sha256"
	"fmt"

	"github.com/google/uuid"
)

// The HPKE suite (RFC 9180): DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
// AES-256-GCM. The offer names it so a later version can move on.
const (
	SuiteKEM  = "DHKEM(X25519, HKDF-SHA256)"
	SuiteKDF  = "HKDF-SHA256"
	SuiteAEAD = "AES-256-GCM"
)

func suite() (hpke.KEM, hpke.KDF, hpke.AEAD) {
	return hpke.DHKEM(ecdh.X25519()), hpke.HKDFSHA256(), hpke.AES256GCM()
}

// DeriveKey returns the transfer's HPKE private key, derived from the
// enclave's transfer purpose key (keys.Keyring.TransferSeed) and the
// transfer id. Nothing secret is stored: any replica of the same measured
// app derives the same key, and an operator with the database has none.
func DeriveKey(seed []byte, id uuid.UUID) (hpke.PrivateKey, error) {
	if len(seed) < 32 {
		return nil, fmt.Errorf("transfer: seed of %d bytes, want 32", len(seed))
	}
	ikm, err := hkdf.Key(sha256.New, seed, id[:], "confidant/transfer/v1/hpke", 32)
	if err != nil {
		return nil, fmt.Errorf("transfer: derive key: %w", err)
	}
	kem, _, _ := suite()
	k, err := kem.DeriveKeyPair(ikm)
	if err != nil {
		return nil, fmt.Errorf("transfer: derive key: %w", err)
	}
	return k, nil
}

// ParsePublicKey decodes an offer's public key.
func ParsePublicKey(b []byte) (hpke.PublicKey, error) {
	kem, _, _ := suite()
	pk, err := kem.NewPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKey, err)
	}
	return pk, nil
}

// Binding is what the destination's quote binds (report_data[0:32]):
// sha256(public key ‖ transfer id ‖ destination origin). A quote for
// another key, transfer or origin does not match it.
func Binding(publicKey []byte, id uuid.UUID, origin string) [32]byte {
	h := sha256.New()
	h.Write(publicKey)
	h.Write(id[:])
	h.Write([]byte(origin))
	return [32]byte(h.Sum(nil))
}

// hpkeInfo is the HPKE info string: the key schedule is bound to the
// protocol version, the transfer and the destination.
func hpkeInfo(id uuid.UUID, origin string) []byte {
	out := append([]byte("confidant/transfer/v1\x00"), id[:]...)
	return append(out, origin...)
}
