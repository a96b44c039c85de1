package seal

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

type vectorAAD struct {
	UserID string `json:"user_id"`
	Table  string `json:"table"`
	Column string `json:"column"`
	RowID  string `json:"row_id"`
}

func (v vectorAAD) aad() AAD { return AAD(v) }

type vectorFile struct {
	Valid []struct {
		Name      string    `json:"name"`
		DEK       string    `json:"dek"`
		Nonce     string    `json:"nonce"`
		AAD       vectorAAD `json:"aad"`
		Plaintext string    `json:"plaintext"`
		Sealed    string    `json:"sealed"`
	} `json:"valid"`
	Invalid []struct {
		Name   string    `json:"name"`
		DEK    string    `json:"dek"`
		AAD    vectorAAD `json:"aad"`
		Sealed string    `json:"sealed"`
		Err    string    `json:"err"`
	} `json:"invalid"`
}

func loadVectors(t testing.TB) vectorFile {
	t.Helper()
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVectorsValid(t *testing.T) {
	for _, tc := range loadVectors(t).Valid {
		t.Run(tc.Name, func(t *testing.T) {
			dek, pt := unhex(t, tc.DEK), unhex(t, tc.Plaintext)
			got, err := sealWithNonce(dek, tc.AAD.aad(), pt, unhex(t, tc.Nonce))
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != tc.Sealed {
				t.Fatalf("sealed = %x\nwant     %s", got, tc.Sealed)
			}
			opened, err := Open(dek, tc.AAD.aad(), unhex(t, tc.Sealed))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(opened, pt) {
				t.Fatalf("opened %q", opened)
			}
		})
	}
}

func TestVectorsInvalid(t *testing.T) {
	sentinels := map[string]error{
		"corrupt":   ErrCorrupt,
		"version":   ErrUnsupportedVersion,
		"wrong_key": ErrWrongKey,
	}
	for _, tc := range loadVectors(t).Invalid {
		t.Run(tc.Name, func(t *testing.T) {
			want, ok := sentinels[tc.Err]
			if !ok {
				t.Fatalf("unknown err %q", tc.Err)
			}
			got, err := Open(unhex(t, tc.DEK), tc.AAD.aad(), unhex(t, tc.Sealed))
			if !errors.Is(err, want) {
				t.Fatalf("err = %v, want %v", err, want)
			}
			if got != nil {
				t.Fatal("plaintext returned with an error")
			}
		})
	}
}
