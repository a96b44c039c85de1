package keys

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"
)

type derivations struct {
	Root          string `json:"root"`
	UserID        string `json:"user_id"`
	KEKv1         string `json:"kek_v1"`
	KEKv2         string `json:"kek_v2"`
	BlindIndexKey string `json:"blind_index_key"`
	VectorKey     string `json:"vector_key"`
	SigningSeed   string `json:"signing_seed"`
	TransferSeed  string `json:"transfer_seed"`
	LookupKey     string `json:"lookup_key"`
	TombstoneID   string `json:"tombstone_id"`
	DEK           string `json:"dek"`
	Nonce         string `json:"nonce"`
	WrappedV1     string `json:"wrapped_v1"`
	WrappedV2     string `json:"wrapped_v2"`
}

func loadDerivations(t *testing.T) (derivations, *Keyring, UserID) {
	t.Helper()
	raw, err := os.ReadFile("testdata/derivations.json")
	if err != nil {
		t.Fatal(err)
	}
	var d derivations
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	kr, err := NewKeyring(unhex(t, d.Root))
	if err != nil {
		t.Fatal(err)
	}
	id, err := ParseUserID(d.UserID)
	if err != nil {
		t.Fatal(err)
	}
	return d, kr, id
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDerivationsPinned checks every derived key against values computed by
// an independent implementation of the labels.
func TestDerivationsPinned(t *testing.T) {
	d, kr, id := loadDerivations(t)
	kek1, err := kr.KEK(1)
	if err != nil {
		t.Fatal(err)
	}
	kek2, err := kr.KEK(2)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"kek v1", kek1, d.KEKv1},
		{"kek v2", kek2, d.KEKv2},
		{"blind index", kr.BlindIndexKey(id), d.BlindIndexKey},
		{"vector", kr.VectorKey(id), d.VectorKey},
		{"signing", kr.SigningSeed(), d.SigningSeed},
		{"transfer", kr.TransferSeed(), d.TransferSeed},
		{"lookup", kr.LookupKey(), d.LookupKey},
		{"tombstone", kr.TombstoneID(id), d.TombstoneID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hex.EncodeToString(tt.got); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestKeysDistinct(t *testing.T) {
	_, kr, id := loadDerivations(t)
	other := id
	other[15] ^= 1
	kek1, _ := kr.KEK(1)
	kek2, _ := kr.KEK(2)
	all := [][]byte{
		kek1, kek2, kr.BlindIndexKey(id), kr.BlindIndexKey(other),
		kr.VectorKey(id), kr.VectorKey(other), kr.SigningSeed(),
		kr.TransferSeed(), kr.LookupKey(), kr.TombstoneID(id), kr.TombstoneID(other),
	}
	seen := map[string]int{}
	for i, k := range all {
		if len(k) != KeySize {
			t.Errorf("key %d has %d bytes", i, len(k))
		}
		if j, ok := seen[string(k)]; ok {
			t.Errorf("key %d equals key %d", i, j)
		}
		seen[string(k)] = i
	}
}

func TestAccessorsReturnCopies(t *testing.T) {
	_, kr, _ := loadDerivations(t)
	s := kr.SigningSeed()
	s[0] ^= 0xff
	if bytes.Equal(s, kr.SigningSeed()) {
		t.Fatal("SigningSeed exposes internal state")
	}
}

func TestNewKeyringErrors(t *testing.T) {
	tests := []struct {
		name    string
		root    []byte
		opts    []Option
		wantErr error
	}{
		{"nil root", nil, nil, ErrRootSize},
		{"short root", make([]byte, 31), nil, ErrRootSize},
		{"version zero", make([]byte, 32), []Option{WithCurrentKEKVersion(0)}, ErrKEKVersion},
		{"long root ok", make([]byte, 64), nil, nil},
		{"version 7 ok", make([]byte, 32), []Option{WithCurrentKEKVersion(7)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewKeyring(tt.root, tt.opts...); !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
	kr, _ := NewKeyring(make([]byte, 32))
	if _, err := kr.KEK(0); !errors.Is(err, ErrKEKVersion) {
		t.Fatalf("KEK(0) err = %v", err)
	}
}

type fakeDeriver struct {
	path string
	key  []byte
	err  error
}

func (f *fakeDeriver) DeriveKey(_ context.Context, path string) ([]byte, error) {
	f.path = path
	return f.key, f.err
}

func TestLoad(t *testing.T) {
	d := &fakeDeriver{key: bytes.Repeat([]byte{7}, 32)}
	kr, err := Load(context.Background(), d, WithCurrentKEKVersion(3))
	if err != nil {
		t.Fatal(err)
	}
	if d.path != "confidant/root/v1" {
		t.Fatalf("path = %q", d.path)
	}
	if kr.CurrentKEKVersion() != 3 {
		t.Fatalf("current = %d", kr.CurrentKEKVersion())
	}
	boom := errors.New("boom")
	if _, err := Load(context.Background(), &fakeDeriver{err: boom}); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if _, err := Load(context.Background(), &fakeDeriver{key: []byte{1}}); !errors.Is(err, ErrRootSize) {
		t.Fatalf("err = %v", err)
	}
}
