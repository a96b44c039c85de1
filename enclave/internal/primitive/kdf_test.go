package primitive

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

type rfc5869File struct {
	Cases []struct {
		Name   string `json:"name"`
		IKM    string `json:"ikm"`
		Salt   string `json:"salt"`
		Info   string `json:"info"`
		Length int    `json:"length"`
		PRK    string `json:"prk"`
		OKM    string `json:"okm"`
	} `json:"cases"`
}

func TestRFC5869(t *testing.T) {
	raw, err := os.ReadFile("testdata/rfc5869_sha256.json")
	if err != nil {
		t.Fatal(err)
	}
	var f rfc5869File
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) != 3 {
		t.Fatalf("want 3 cases, got %d", len(f.Cases))
	}
	for _, tc := range f.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			ikm, salt, info := mustHex(t, tc.IKM), mustHex(t, tc.Salt), mustHex(t, tc.Info)
			prk, err := HKDFExtract(ikm, salt)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(prk); got != tc.PRK {
				t.Errorf("PRK = %s, want %s", got, tc.PRK)
			}
			okm, err := HKDFExpand(prk, string(info), tc.Length)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(okm); got != tc.OKM {
				t.Errorf("Expand OKM = %s, want %s", got, tc.OKM)
			}
			okm, err = HKDF(ikm, salt, string(info), tc.Length)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(okm); got != tc.OKM {
				t.Errorf("HKDF OKM = %s, want %s", got, tc.OKM)
			}
		})
	}
}

func TestHKDFLength(t *testing.T) {
	tests := []struct {
		name    string
		length  int
		wantErr error
	}{
		{"zero", 0, ErrLength},
		{"negative", -1, ErrLength},
		{"one", 1, nil},
		{"max", 255 * 32, nil},
		{"too long", 255*32 + 1, ErrLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := HKDF([]byte("secret"), nil, "info", tt.length)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && len(out) != tt.length {
				t.Fatalf("len = %d", len(out))
			}
			if _, err := HKDFExpand(make([]byte, 32), "info", tt.length); !errors.Is(err, tt.wantErr) {
				t.Fatalf("expand err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestHMAC(t *testing.T) {
	// RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
	want := "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	got := HMAC([]byte("Jefe"), []byte("what do ya "), []byte("want for nothing?"))
	if hex.EncodeToString(got) != want {
		t.Fatalf("HMAC = %x", got)
	}
	if !Equal(got, bytes.Clone(got)) || Equal(got, got[:31]) {
		t.Fatal("Equal misbehaves")
	}
}
