package primitive

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

// wycheproofFile is the subset of the Wycheproof AEAD schema the tests read.
type wycheproofFile struct {
	Algorithm  string `json:"algorithm"`
	TestGroups []struct {
		IVSize  int `json:"ivSize"`
		KeySize int `json:"keySize"`
		TagSize int `json:"tagSize"`
		Tests   []struct {
			TcID    int      `json:"tcId"`
			Comment string   `json:"comment"`
			Flags   []string `json:"flags"`
			Key     string   `json:"key"`
			IV      string   `json:"iv"`
			AAD     string   `json:"aad"`
			Msg     string   `json:"msg"`
			CT      string   `json:"ct"`
			Tag     string   `json:"tag"`
			Result  string   `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func TestWycheproofAESGCM(t *testing.T) {
	raw, err := os.ReadFile("testdata/wycheproof_aes_gcm_256_96.json")
	if err != nil {
		t.Fatal(err)
	}
	var f wycheproofFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if f.Algorithm != "AES-GCM" {
		t.Fatalf("algorithm = %q", f.Algorithm)
	}
	count := 0
	for _, g := range f.TestGroups {
		if g.KeySize != 256 || g.IVSize != 96 || g.TagSize != 128 {
			t.Fatalf("unexpected group %d/%d/%d", g.KeySize, g.IVSize, g.TagSize)
		}
		for _, tc := range g.Tests {
			count++
			key, iv, aad := mustHex(t, tc.Key), mustHex(t, tc.IV), mustHex(t, tc.AAD)
			msg, ct := mustHex(t, tc.Msg), mustHex(t, tc.CT)
			sealed := append(ct, mustHex(t, tc.Tag)...)
			got, err := OpenGCM(nil, key, iv, sealed, aad)
			switch tc.Result {
			case "valid":
				if err != nil {
					t.Errorf("tc %d: open: %v", tc.TcID, err)
					continue
				}
				if hex.EncodeToString(got) != tc.Msg {
					t.Errorf("tc %d: plaintext mismatch", tc.TcID)
				}
				enc, err := SealGCM(nil, key, iv, msg, aad)
				if err != nil {
					t.Errorf("tc %d: seal: %v", tc.TcID, err)
					continue
				}
				if hex.EncodeToString(enc) != hex.EncodeToString(sealed) {
					t.Errorf("tc %d: ciphertext mismatch", tc.TcID)
				}
			case "invalid":
				if !errors.Is(err, ErrOpen) {
					t.Errorf("tc %d (%v): err = %v, want ErrOpen", tc.TcID, tc.Flags, err)
				}
			default:
				t.Fatalf("tc %d: unknown result %q", tc.TcID, tc.Result)
			}
		}
	}
	if count < 60 {
		t.Fatalf("only %d vectors ran", count)
	}
}

func TestGCMParameterErrors(t *testing.T) {
	key := make([]byte, KeySize)
	nonce := make([]byte, NonceSize)
	tests := []struct {
		name    string
		key     []byte
		nonce   []byte
		sealed  []byte
		wantErr error
	}{
		{"short key", key[:16], nonce, make([]byte, TagSize), ErrKeySize},
		{"long key", append(key, 0), nonce, make([]byte, TagSize), ErrKeySize},
		{"short nonce", key, nonce[:8], make([]byte, TagSize), ErrNonceSize},
		{"shorter than tag", key, nonce, make([]byte, TagSize-1), ErrOpen},
		{"empty", key, nonce, nil, ErrOpen},
		{"zero tag", key, nonce, make([]byte, TagSize), ErrOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := OpenGCM(nil, tt.key, tt.nonce, tt.sealed, nil); !errors.Is(err, tt.wantErr) {
				t.Fatalf("OpenGCM err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == ErrOpen {
				return
			}
			if _, err := SealGCM(nil, tt.key, tt.nonce, []byte("x"), nil); !errors.Is(err, tt.wantErr) {
				t.Fatalf("SealGCM err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestRandomNonceDistinct(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		n, err := RandomNonce()
		if err != nil {
			t.Fatal(err)
		}
		if len(n) != NonceSize {
			t.Fatalf("len = %d", len(n))
		}
		if seen[string(n)] {
			t.Fatal("nonce repeated")
		}
		seen[string(n)] = true
	}
}
