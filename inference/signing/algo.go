package signing

import "fmt"

// Algo names a signing algorithm as the convention spells it in the
// signing_algo parameter and field.
type Algo string

const (
	// ECDSA is secp256k1 with EIP-191 personal_sign; the signing address is
	// an Ethereum address. It is the default.
	ECDSA Algo = "ecdsa"
	// Ed25519 is a plain ed25519 signature; the signing address is the hex
	// public key.
	Ed25519 Algo = "ed25519"
)

// ParseAlgo parses a signing_algo value; the empty string means ECDSA.
func ParseAlgo(s string) (Algo, error) {
	switch Algo(s) {
	case "", ECDSA:
		return ECDSA, nil
	case Ed25519:
		return Ed25519, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownAlgo, s)
}

// Signer signs texts with one key and names the identity that verifiers
// check signatures against.
type Signer interface {
	// Algo reports the signing algorithm.
	Algo() Algo
	// Address returns the signing_address: a 0x-prefixed lowercase
	// Ethereum address for ECDSA, the hex public key for Ed25519.
	Address() string
	// Identity returns the bytes that go into report_data: the 20-byte
	// address for ECDSA, the 32-byte public key for Ed25519.
	Identity() []byte
	// Sign signs text and returns the signature in the convention's hex
	// form.
	Sign(text string) (string, error)
}

// Verify checks that sig is a signature by address over text under algo.
func Verify(algo Algo, text, sig, address string) error {
	switch algo {
	case ECDSA:
		return VerifyECDSA(text, sig, address)
	case Ed25519:
		return VerifyEd25519(text, sig, address)
	}
	return fmt.Errorf("%w: %q", ErrUnknownAlgo, algo)
}
