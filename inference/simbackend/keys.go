package simbackend

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"confidant/inference/signing"
)

// keys are everything the server derives from its seed.
type keys struct {
	ecdsa    *signing.ECDSAKey
	ed25519  *signing.Ed25519Key
	quoteMAC []byte // HMAC key of simulated quotes
	appID    string // 20 bytes hex
	instance string // 20 bytes hex
}

// deriveKeys derives the keys with HKDF-SHA256 from seed; the same seed
// always gives the same keys.
func deriveKeys(seed string) keys {
	k := keys{
		quoteMAC: derive(seed, "quote-mac", 32),
		appID:    hex.EncodeToString(derive(seed, "app-id", 20)),
		instance: hex.EncodeToString(derive(seed, "instance-id", 20)),
	}
	// A 32-byte string is a valid secp256k1 secret unless it is zero or
	// at least the group order (probability ~2^-128); try the next
	// counter value then.
	for i := 0; k.ecdsa == nil; i++ {
		k.ecdsa, _ = signing.NewECDSAKey(derive(seed, "ecdsa/"+strconv.Itoa(i), 32))
	}
	var err error
	if k.ed25519, err = signing.NewEd25519Key(derive(seed, "ed25519", 32)); err != nil {
		panic("simbackend: ed25519 seed of the wrong size: " + err.Error()) // unreachable
	}
	return k
}

// derive returns n bytes of HKDF-SHA256(seed) for purpose.
func derive(seed, purpose string, n int) []byte {
	out, err := hkdf.Key(sha256.New, []byte(seed), nil, "confidant/simbackend/v1/"+purpose, n)
	if err != nil {
		panic("simbackend: hkdf: " + err.Error()) // only for n > 255*32
	}
	return out
}

// signer returns the key for algo (ECDSA for anything but Ed25519).
func (k keys) signer(algo signing.Algo) signing.Signer {
	if algo == signing.Ed25519 {
		return k.ed25519
	}
	return k.ecdsa
}
