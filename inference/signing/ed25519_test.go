package signing

import (
	"errors"
	"strings"
	"testing"
)

func TestEd25519(t *testing.T) {
	key, err := NewEd25519Key(fill(32, 7))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := key.Sign("hello")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewEd25519Key(fill(32, 8))
	tests := []struct {
		name      string
		text, sig string
		pub       string
		wantErr   error
	}{
		{"ok", "hello", sig, key.Address(), nil},
		{"0x prefixes", "hello", "0x" + sig, "0x" + key.Address(), nil},
		{"other text", "hello!", sig, key.Address(), ErrBadSignature},
		{"other key", "hello", sig, other.Address(), ErrBadSignature},
		{"short signature", "hello", sig[:10], key.Address(), ErrMalformed},
		{"short key", "hello", sig, key.Address()[:10], ErrMalformed},
		{"not hex", "hello", strings.Repeat("z", 128), key.Address(), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(Ed25519, tc.text, tc.sig, tc.pub)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tc.wantErr)
			}
		})
	}
	if _, err := NewEd25519Key(fill(31, 1)); !errors.Is(err, ErrMalformed) {
		t.Errorf("short seed: %v", err)
	}
	if err := Verify("rsa", "x", sig, key.Address()); !errors.Is(err, ErrUnknownAlgo) {
		t.Errorf("unknown algo: %v", err)
	}
}
