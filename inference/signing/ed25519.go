package signing

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
)

// Ed25519Key is an ed25519 signing key. It is safe for concurrent use.
type Ed25519Key struct {
	priv ed25519.PrivateKey
}

// NewEd25519Key makes a key from a 32-byte RFC 8032 seed.
func NewEd25519Key(seed []byte) (*Ed25519Key, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: ed25519 seed has %d bytes, want %d", ErrMalformed, len(seed), ed25519.SeedSize)
	}
	return &Ed25519Key{priv: ed25519.NewKeyFromSeed(seed)}, nil
}

// Algo returns Ed25519.
func (k *Ed25519Key) Algo() Algo { return Ed25519 }

// Address returns the lowercase hex public key, without a 0x prefix.
func (k *Ed25519Key) Address() string { return hex.EncodeToString(k.Identity()) }

// Identity returns the 32-byte public key.
func (k *Ed25519Key) Identity() []byte {
	return append([]byte(nil), k.priv.Public().(ed25519.PublicKey)...)
}

// Sign returns the lowercase hex ed25519 signature of text.
func (k *Ed25519Key) Sign(text string) (string, error) {
	return hex.EncodeToString(ed25519.Sign(k.priv, []byte(text))), nil
}

// VerifyEd25519 checks the hex signature sigHex over text by the hex
// public key pubHex (either may carry a 0x prefix).
func VerifyEd25519(text, sigHex, pubHex string) error {
	pub, err := decodeHex("ed25519 public key", pubHex, ed25519.PublicKeySize)
	if err != nil {
		return err
	}
	sig, err := decodeHex("signature", sigHex, ed25519.SignatureSize)
	if err != nil {
		return err
	}
	if !ed25519.Verify(pub, []byte(text), sig) {
		return ErrBadSignature
	}
	return nil
}
