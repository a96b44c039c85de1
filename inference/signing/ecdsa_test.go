package signing

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

type eip191Vectors struct {
	Signatures []struct {
		Message    string `json:"message"`
		PrivateKey string `json:"private_key"`
		Address    string `json:"address"`
		Signature  string `json:"signature"`
	} `json:"signatures"`
	Hashes []struct {
		Message string `json:"message"`
		Hash    string `json:"hash"`
	} `json:"hashes"`
}

func loadVectors(t *testing.T) eip191Vectors {
	t.Helper()
	raw, err := os.ReadFile("testdata/eip191_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v eip191Vectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Signatures) == 0 || len(v.Hashes) == 0 {
		t.Fatal("no vectors")
	}
	return v
}

func TestPersonalHashVectors(t *testing.T) {
	for _, tc := range loadVectors(t).Hashes {
		t.Run(tc.Message, func(t *testing.T) {
			h := PersonalHash([]byte(tc.Message))
			if got := "0x" + hex.EncodeToString(h[:]); got != tc.Hash {
				t.Errorf("PersonalHash = %s, want %s", got, tc.Hash)
			}
		})
	}
}

func TestECDSAVectors(t *testing.T) {
	for _, tc := range loadVectors(t).Signatures {
		t.Run(tc.Address+"/"+tc.Message, func(t *testing.T) {
			secret, err := hex.DecodeString(strings.TrimPrefix(tc.PrivateKey, "0x"))
			if err != nil {
				t.Fatal(err)
			}
			key, err := NewECDSAKey(secret)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := key.Address(), strings.ToLower(tc.Address); got != want {
				t.Errorf("Address = %s, want %s", got, want)
			}
			// RFC 6979 makes signing deterministic, so we must produce
			// exactly web3.js's signature.
			sig, err := key.Sign(tc.Message)
			if err != nil {
				t.Fatal(err)
			}
			if sig != tc.Signature {
				t.Errorf("Sign = %s, want %s", sig, tc.Signature)
			}
			addr, err := RecoverAddress(tc.Message, tc.Signature)
			if err != nil {
				t.Fatal(err)
			}
			if addr != strings.ToLower(tc.Address) {
				t.Errorf("RecoverAddress = %s, want %s", addr, tc.Address)
			}
			if err := VerifyECDSA(tc.Message, tc.Signature, tc.Address); err != nil {
				t.Errorf("VerifyECDSA: %v", err)
			}
		})
	}
}

func TestVerifyECDSAFailures(t *testing.T) {
	v := loadVectors(t).Signatures[1]
	sigV0 := v.Signature[:len(v.Signature)-2] + "00" // v = 27 written as 0
	other := loadVectors(t).Signatures[0]
	tests := []struct {
		name    string
		text    string
		sig     string
		addr    string
		wantErr error
	}{
		{"ok", v.Message, v.Signature, v.Address, nil},
		{"v as 0/1", v.Message, sigV0, v.Address, nil},
		{"no 0x prefix", v.Message, strings.TrimPrefix(v.Signature, "0x"), v.Address, nil},
		{"other text", v.Message + ".", v.Signature, v.Address, ErrAddressMismatch},
		{"other address", v.Message, v.Signature, other.Address, ErrAddressMismatch},
		{"short signature", v.Message, v.Signature[:100], v.Address, ErrMalformed},
		{"not hex", v.Message, "0x" + strings.Repeat("zz", 65), v.Address, ErrMalformed},
		{"bad v", v.Message, v.Signature[:len(v.Signature)-2] + "05", v.Address, ErrMalformed},
		{"zero r", v.Message, "0x" + strings.Repeat("00", 32) + v.Signature[66:], v.Address, ErrBadSignature},
		{"bad address", v.Message, v.Signature, "0x1234", ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyECDSA(tc.text, tc.sig, tc.addr)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("VerifyECDSA = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestNewECDSAKeyRejects(t *testing.T) {
	n, _ := hex.DecodeString("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
	tests := []struct {
		name   string
		secret []byte
	}{
		{"short", make([]byte, 31)},
		{"zero", make([]byte, 32)},
		{"order", n},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewECDSAKey(tc.secret); !errors.Is(err, ErrMalformed) {
				t.Errorf("NewECDSAKey = %v, want ErrMalformed", err)
			}
		})
	}
}
