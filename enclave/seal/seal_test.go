package seal

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func testAAD() AAD {
	return AAD{UserID: "6f1c2a8e-4b7d-4c2e-9a1f-3d5e7b9c0a12", Table: "messages", Column: "content", RowID: "7"}
}

func TestSealOpenRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		pt   []byte
	}{
		{"empty", []byte{}},
		{"nil", nil},
		{"text", []byte("the quick brown fox")},
		{"binary", []byte{0, 1, 2, 0xff, 0xfe}},
		{"large", bytes.Repeat([]byte("x"), 1<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed, err := Seal(testKey(1), testAAD(), tt.pt)
			if err != nil {
				t.Fatal(err)
			}
			if len(sealed) != len(tt.pt)+Overhead {
				t.Fatalf("len = %d, want %d", len(sealed), len(tt.pt)+Overhead)
			}
			got, err := Open(testKey(1), testAAD(), sealed)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil || !bytes.Equal(got, tt.pt) {
				t.Fatalf("got %d bytes", len(got))
			}
		})
	}
}

func TestSealStringRoundTrip(t *testing.T) {
	sealed, err := SealString(testKey(2), testAAD(), "héllo")
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenString(testKey(2), testAAD(), sealed)
	if err != nil || got != "héllo" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := OpenString(testKey(3), testAAD(), sealed); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("err = %v", err)
	}
}

func TestSealNoncesDiffer(t *testing.T) {
	a, _ := Seal(testKey(1), testAAD(), []byte("same"))
	b, _ := Seal(testKey(1), testAAD(), []byte("same"))
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same value are identical")
	}
}

func TestArgumentErrors(t *testing.T) {
	good := testAAD()
	long := strings.Repeat("r", maxFieldLen+1)
	tests := []struct {
		name    string
		dek     []byte
		aad     AAD
		wantErr error
	}{
		{"nil key", nil, good, ErrInvalidKey},
		{"short key", make([]byte, 16), good, ErrInvalidKey},
		{"long key", make([]byte, 33), good, ErrInvalidKey},
		{"empty user", testKey(1), AAD{Table: "t", Column: "c", RowID: "r"}, ErrInvalidAAD},
		{"empty table", testKey(1), AAD{UserID: "u", Column: "c", RowID: "r"}, ErrInvalidAAD},
		{"empty column", testKey(1), AAD{UserID: "u", Table: "t", RowID: "r"}, ErrInvalidAAD},
		{"empty row", testKey(1), AAD{UserID: "u", Table: "t", Column: "c"}, ErrInvalidAAD},
		{"long row", testKey(1), AAD{UserID: "u", Table: "t", Column: "c", RowID: long}, ErrInvalidAAD},
	}
	valid, err := Seal(testKey(1), good, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Seal(tt.dek, tt.aad, []byte("x")); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Seal err = %v, want %v", err, tt.wantErr)
			}
			if _, err := Open(tt.dek, tt.aad, valid); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Open err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestAADEncodingUnambiguous(t *testing.T) {
	tests := []struct {
		name string
		a, b AAD
	}{
		{"table/column boundary", AAD{"u", "ab", "c", "r"}, AAD{"u", "a", "bc", "r"}},
		{"user/table boundary", AAD{"uu", "t", "c", "r"}, AAD{"u", "ut", "c", "r"}},
		{"column/row boundary", AAD{"u", "t", "c1", "2"}, AAD{"u", "t", "c", "12"}},
		{"swapped fields", AAD{"u", "t", "c", "r"}, AAD{"t", "u", "c", "r"}},
		{"length byte lookalike", AAD{"u", "t\x00\x00\x00\x01c", "c", "r"}, AAD{"u", "t", "c\x00\x00\x00\x01c", "r"}},
	}
	header := []byte{1, 2, 3, 4, 5}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if bytes.Equal(tt.a.encode(header), tt.b.encode(header)) {
				t.Fatal("encodings collide")
			}
			sealed, err := Seal(testKey(1), tt.a, []byte("v"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Open(testKey(1), tt.b, sealed); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestKeyIDs(t *testing.T) {
	id1, err := KeyID(testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	id2, _ := KeyID(testKey(2))
	if id1 == id2 {
		t.Fatal("key ids collide")
	}
	sealed, _ := Seal(testKey(1), testAAD(), []byte("x"))
	got, err := SealedKeyID(sealed)
	if err != nil || got != id1 {
		t.Fatalf("SealedKeyID = %#x, %v; want %#x", got, err, id1)
	}
	if _, err := KeyID(nil); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("err = %v", err)
	}
}
