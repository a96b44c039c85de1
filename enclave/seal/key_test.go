package seal

import (
	"bytes"
	"crypto/rand"
	"errors"
	"testing"
)

// TestKeyMatchesFunctions checks that a prepared Key and the package
// functions read each other's output and refuse the same tampering.
func TestKeyMatchesFunctions(t *testing.T) {
	dek := make([]byte, 32)
	_, _ = rand.Read(dek)
	k, err := NewKey(dek)
	if err != nil {
		t.Fatal(err)
	}
	aad := AAD{UserID: "u", Table: "t", Column: "c", RowID: "r"}
	pt := []byte("hello, sealed world")
	a, _ := k.Seal(aad, pt)
	b, _ := Seal(dek, aad, pt)
	if got, err := Open(dek, aad, a); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Open(Key.Seal) = %q, %v", got, err)
	}
	if got, err := k.Open(aad, b); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Key.Open(Seal) = %q, %v", got, err)
	}
	other := aad
	other.RowID = "r2"
	if _, err := k.Open(other, a); !errors.Is(err, ErrCorrupt) {
		t.Errorf("moved row: %v", err)
	}
	a[len(a)-1] ^= 1
	if _, err := k.Open(aad, a); !errors.Is(err, ErrCorrupt) {
		t.Errorf("tampered: %v", err)
	}
	if _, err := k.Open(aad, a[:10]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated: %v", err)
	}
	dek2 := make([]byte, 32)
	_, _ = rand.Read(dek2)
	k2, _ := NewKey(dek2)
	if _, err := k2.Open(aad, b); !errors.Is(err, ErrWrongKey) {
		t.Errorf("wrong key: %v", err)
	}
}
