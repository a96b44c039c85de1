package signing

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// TestECDSAVerifierMatchesRecovery checks the table-based verifier against
// VerifyECDSA (recovery) on valid signatures and on every kind of altered
// one: both must accept and refuse the same, with the same error kinds,
// before and after the verifier has built its table for the address.
func TestECDSAVerifierMatchesRecovery(t *testing.T) {
	keys := make([]*ECDSAKey, 3)
	for i := range keys {
		secret := make([]byte, 32)
		secret[31], secret[0] = byte(i+1), byte(0x40+i)
		k, err := NewECDSAKey(secret)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	v := NewECDSAVerifier(8)
	errKinds := []error{ErrMalformed, ErrBadSignature, ErrAddressMismatch}
	kind := func(err error) string {
		for _, k := range errKinds {
			if errors.Is(err, k) {
				return k.Error()
			}
		}
		if err != nil {
			return "other: " + err.Error()
		}
		return "ok"
	}
	check := func(name, text, sig, addr string, want string) {
		t.Helper()
		slow, fast := VerifyECDSA(text, sig, addr), v.Verify(text, sig, addr)
		if (want == "" && slow == nil) || (want != "" && kind(slow) != want) {
			t.Errorf("%s: VerifyECDSA gave %s, the case wants %q (\"\": any error)", name, kind(slow), want)
		}
		if kind(fast) != kind(slow) || (fast == nil) != (slow == nil) || (slow != nil && fast.Error() != slow.Error()) {
			t.Errorf("%s: verifier gave %v, recovery %v", name, fast, slow)
		}
	}
	for round := range 2 { // the first round builds the tables, the second uses them
		for ki, k := range keys {
			for n := range 25 {
				text := fmt.Sprintf("%064x:%064x", n*7919+ki, round*104729+n)
				sig, err := k.Sign(text)
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := hex.DecodeString(strings.TrimPrefix(sig, "0x"))
				name := fmt.Sprintf("round %d key %d text %d", round, ki, n)
				check(name+" valid", text, sig, k.Address(), "ok")
				check(name+" upper-case address", text, sig, strings.ToUpper(k.Address()), "ok")
				check(name+" v as 0/1", text, alter(raw, func(b []byte) { b[64] -= 27 }), k.Address(), "ok")
				check(name+" other text", text+".", sig, k.Address(), ErrAddressMismatch.Error())
				check(name+" other key's address", text, sig, keys[(ki+1)%len(keys)].Address(), ErrAddressMismatch.Error())
				check(name+" flipped v", text, alter(raw, func(b []byte) { b[64] = 55 - b[64] }), k.Address(), "")
				check(name+" bit of r", text, alter(raw, func(b []byte) { b[5] ^= 0x10 }), k.Address(), "")
				check(name+" bit of s", text, alter(raw, func(b []byte) { b[40] ^= 0x01 }), k.Address(), ErrAddressMismatch.Error())
				// (r, n-s) with v flipped is the other valid signature of the
				// same message by the same key; with v kept it is not.
				high := alter(raw, func(b []byte) {
					var s secp256k1.ModNScalar
					s.SetByteSlice(b[32:64])
					s.Negate()
					sb := s.Bytes()
					copy(b[32:64], sb[:])
				})
				check(name+" high s, same v", text, high, k.Address(), ErrAddressMismatch.Error())
				hr, _ := hex.DecodeString(strings.TrimPrefix(high, "0x"))
				check(name+" high s, flipped v", text, alter(hr, func(b []byte) { b[64] = 55 - b[64] }), k.Address(), "ok")
			}
		}
	}
	for _, tc := range []struct{ name, sig, want string }{
		{"v out of range", "0x" + strings.Repeat("11", 64) + "1d", ErrMalformed.Error()},
		{"short", "0x" + strings.Repeat("11", 64), ErrMalformed.Error()},
		{"r zero", "0x" + strings.Repeat("00", 32) + strings.Repeat("11", 32) + "1b", ErrBadSignature.Error()},
		{"s zero", "0x" + strings.Repeat("11", 32) + strings.Repeat("00", 32) + "1b", ErrBadSignature.Error()},
		{"r over the order", "0x" + strings.Repeat("ff", 32) + strings.Repeat("11", 32) + "1b", ErrBadSignature.Error()},
	} {
		check(tc.name, "text", tc.sig, keys[0].Address(), tc.want)
	}
}

// alter returns the hex of a copy of sig changed by f.
func alter(sig []byte, f func([]byte)) string {
	b := append([]byte(nil), sig...)
	f(b)
	return "0x" + hex.EncodeToString(b)
}

func BenchmarkECDSAVerify(b *testing.B) {
	k, err := NewECDSAKey(append(make([]byte, 31), 7))
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("ab", 64) + ":" + strings.Repeat("cd", 64)
	sig, err := k.Sign(text)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("recovery", func(b *testing.B) {
		for b.Loop() {
			if err := VerifyECDSA(text, sig, k.Address()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verifier", func(b *testing.B) {
		v := NewECDSAVerifier(1)
		if err := v.Verify(text, sig, k.Address()); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := v.Verify(text, sig, k.Address()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
