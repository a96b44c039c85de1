package seal

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to the parser: it must never panic, must
// report one of the package's sentinel errors, and must never open anything
// the fixed key did not seal.
func FuzzOpen(f *testing.F) {
	key := testKey(1)
	aad := testAAD()
	for _, tc := range loadVectors(f).Invalid {
		f.Add(unhex(f, tc.Sealed))
	}
	// A fixed nonce keeps the seed identical in every fuzzing worker process.
	sealed, err := sealWithNonce(key, aad, []byte("seed"), make([]byte, 12))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed)
	f.Add(sealed[:Overhead])
	f.Add([]byte{})
	f.Add([]byte{formatV1})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Open(key, aad, data)
		if err == nil {
			if !bytes.Equal(data, sealed) || string(got) != "seed" {
				t.Fatalf("opened unexpected input %x", data)
			}
			return
		}
		if got != nil {
			t.Fatal("plaintext returned with an error")
		}
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrWrongKey) && !errors.Is(err, ErrUnsupportedVersion) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// FuzzSealOpen checks the round trip for arbitrary plaintexts and places, and
// that the same value does not open at a place that differs in any field.
func FuzzSealOpen(f *testing.F) {
	f.Add([]byte("hello"), "user", "messages", "content", "1")
	f.Add([]byte{}, "u", "ab", "c", "r")
	f.Add([]byte{0}, "\x00", "\x00\x00", "\xff", "\x00\x00\x00\x01")
	f.Fuzz(func(t *testing.T, pt []byte, user, table, column, row string) {
		aad := AAD{user, table, column, row}
		sealed, err := Seal(testKey(7), aad, pt)
		if err != nil {
			if !errors.Is(err, ErrInvalidAAD) {
				t.Fatalf("seal: %v", err)
			}
			return
		}
		got, err := Open(testKey(7), aad, sealed)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("round trip failed: %v", err)
		}
		shifted := AAD{user, table + column[:1], column[1:], row}
		if column[1:] == "" || shifted == aad {
			return
		}
		if _, err := Open(testKey(7), shifted, sealed); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("opened at a shifted place: %v", err)
		}
	})
}
