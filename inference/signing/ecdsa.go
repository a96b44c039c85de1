package signing

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	secpecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

// ECDSAKey is a secp256k1 signing key that signs with EIP-191
// personal_sign, as eth_account's sign_message does. It is safe for
// concurrent use.
type ECDSAKey struct {
	priv *secp256k1.PrivateKey
	addr [20]byte
}

// NewECDSAKey makes a key from a 32-byte big-endian secret, which must lie
// in [1, N-1] where N is the order of secp256k1.
func NewECDSAKey(secret []byte) (*ECDSAKey, error) {
	if len(secret) != 32 {
		return nil, fmt.Errorf("%w: ecdsa secret has %d bytes, want 32", ErrMalformed, len(secret))
	}
	var k secp256k1.ModNScalar
	if overflow := k.SetByteSlice(secret); overflow || k.IsZero() {
		return nil, fmt.Errorf("%w: ecdsa secret is out of range", ErrMalformed)
	}
	priv := secp256k1.NewPrivateKey(&k)
	return &ECDSAKey{priv: priv, addr: addressOf(priv.PubKey())}, nil
}

// Algo returns ECDSA.
func (k *ECDSAKey) Algo() Algo { return ECDSA }

// Address returns the 0x-prefixed lowercase Ethereum address of the key.
func (k *ECDSAKey) Address() string { return "0x" + hex.EncodeToString(k.addr[:]) }

// Identity returns the 20-byte address.
func (k *ECDSAKey) Identity() []byte { return append([]byte(nil), k.addr[:]...) }

// Sign returns the personal_sign signature of text: 0x-hex of r ‖ s ‖ v,
// 65 bytes, v = 27 or 28. Signatures are deterministic (RFC 6979) and
// have a low s.
func (k *ECDSAKey) Sign(text string) (string, error) {
	h := PersonalHash([]byte(text))
	// SignCompact returns code ‖ r ‖ s with code = 27 + recovery id for an
	// uncompressed key; Ethereum orders it r ‖ s ‖ v.
	c := secpecdsa.SignCompact(k.priv, h[:], false)
	if c[0] != 27 && c[0] != 28 {
		// Recovery ids 2 and 3 (r ≥ N) occur with probability ~2^-127
		// and cannot be expressed as v = 27/28.
		return "", fmt.Errorf("%w: unrepresentable recovery id", ErrBadSignature)
	}
	out := make([]byte, 65)
	copy(out, c[1:])
	out[64] = c[0]
	return "0x" + hex.EncodeToString(out), nil
}

// RecoverAddress returns the 0x-prefixed lowercase Ethereum address whose
// key made the personal_sign signature sigHex (r ‖ s ‖ v, v in 27, 28, 0
// or 1) over text.
func RecoverAddress(text, sigHex string) (string, error) {
	pub, err := recoverPub(text, sigHex)
	if err != nil {
		return "", err
	}
	addr := addressOf(pub)
	return "0x" + hex.EncodeToString(addr[:]), nil
}

// parseCompact decodes r ‖ s ‖ v and returns the 64 bytes of r ‖ s and the
// recovery id (v as 0 or 1).
func parseCompact(sigHex string) ([]byte, byte, error) {
	sig, err := decodeHex("signature", sigHex, 65)
	if err != nil {
		return nil, 0, err
	}
	v := sig[64]
	if v >= 27 {
		v -= 27
	}
	if v > 1 {
		return nil, 0, fmt.Errorf("%w: v is %d", ErrMalformed, sig[64])
	}
	return sig[:64], v, nil
}

// recoverPub returns the public key whose personal_sign signature over
// text sigHex is.
func recoverPub(text, sigHex string) (*secp256k1.PublicKey, error) {
	rs, v, err := parseCompact(sigHex)
	if err != nil {
		return nil, err
	}
	compact := make([]byte, 65)
	compact[0] = 27 + v
	copy(compact[1:], rs)
	h := PersonalHash([]byte(text))
	pub, _, err := secpecdsa.RecoverCompact(compact, h[:])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return pub, nil
}

// VerifyECDSA checks that sigHex is a personal_sign signature over text by
// the Ethereum address (0x-hex, any letter case).
func VerifyECDSA(text, sigHex, address string) error {
	want, err := decodeHex("signing address", address, 20)
	if err != nil {
		return err
	}
	got, err := RecoverAddress(text, sigHex)
	if err != nil {
		return err
	}
	if got != "0x"+hex.EncodeToString(want) {
		return fmt.Errorf("%w: recovered %s, want %s", ErrAddressMismatch, got, strings.ToLower(address))
	}
	return nil
}

// addressOf returns the Ethereum address of pub: the last 20 bytes of
// keccak256 of the uncompressed point without its 0x04 prefix.
func addressOf(pub *secp256k1.PublicKey) [20]byte {
	h := Keccak256(pub.SerializeUncompressed()[1:])
	var a [20]byte
	copy(a[:], h[12:])
	return a
}
