package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// newToken returns a random 256-bit token for a cookie or link.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is how session and invite tokens are stored: a plain SHA-256
// suffices because the tokens carry 256 random bits.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// recoveryAlphabet is Crockford's base32: no I, L, O or U to misread.
const recoveryAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// RecoveryCodeCount is how many codes a user gets at a time.
const RecoveryCodeCount = 10

// newRecoveryCode returns a code like "7KQ2-M9XD-4TRA" (60 random bits).
func newRecoveryCode() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	var sb strings.Builder
	for i, v := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(recoveryAlphabet[int(v)&31])
	}
	return sb.String()
}

// normalizeRecoveryCode accepts what people type: any case, spaces or no
// dashes, and the letters people confuse with digits.
func normalizeRecoveryCode(s string) string {
	var sb strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case '-', ' ', '\t':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// hashRecoveryCode hashes the normalized form of a code.
func hashRecoveryCode(code string) []byte {
	sum := sha256.Sum256([]byte("confidant-recovery-code:" + normalizeRecoveryCode(code)))
	return sum[:]
}

// newRecoveryCodes returns a fresh set of codes and their hashes.
func newRecoveryCodes() (codes []string, hashes [][]byte) {
	for range RecoveryCodeCount {
		c := newRecoveryCode()
		codes = append(codes, c)
		hashes = append(hashes, hashRecoveryCode(c))
	}
	return codes, hashes
}
