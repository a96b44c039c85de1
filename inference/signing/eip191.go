package signing

import (
	"strconv"

	"golang.org/x/crypto/sha3"
)

// Keccak256 returns the legacy Keccak-256 hash (not NIST SHA3-256) of the
// concatenated parts, as Ethereum uses it.
func Keccak256(parts ...[]byte) [32]byte {
	h := sha3.NewLegacyKeccak256()
	for _, p := range parts {
		h.Write(p)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// PersonalHash returns the EIP-191 version 0x45 (personal_sign) hash of
// msg: keccak256("\x19Ethereum Signed Message:\n" ‖ decimal len(msg) ‖ msg).
func PersonalHash(msg []byte) [32]byte {
	prefix := "\x19Ethereum Signed Message:\n" + strconv.Itoa(len(msg))
	return Keccak256([]byte(prefix), msg)
}
