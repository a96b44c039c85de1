package transfer

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/google/uuid"
)

const testOrigin = "https://dest.example"

// sealed returns plain sealed for transfer id at testOrigin.
func sealed(t *testing.T, id uuid.UUID, plain []byte) []byte {
	t.Helper()
	k, err := DeriveKey(testSeed, id)
	if err != nil {
		t.Fatal(err)
	}
	pub := k.PublicKey()
	var out bytes.Buffer
	if err := Seal(&out, pub, id, testOrigin, bytes.NewReader(plain), nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func open(t *testing.T, id uuid.UUID, origin string, stream []byte) ([]byte, error) {
	t.Helper()
	k, err := DeriveKey(testSeed, id)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_, err = Open(&out, k, id, origin, bytes.NewReader(stream))
	return out.Bytes(), err
}

// frames splits a stream into its header and frames.
func frames(t *testing.T, stream []byte) (head []byte, fs [][]byte) {
	t.Helper()
	encLen := int(binary.BigEndian.Uint16(stream[len(streamMagic):]))
	n := len(streamMagic) + 2 + encLen
	head, rest := stream[:n], stream[n:]
	for len(rest) > 0 {
		size := int(binary.BigEndian.Uint32(rest[1:5]))
		fs = append(fs, rest[:5+size])
		rest = rest[5+size:]
	}
	return head, fs
}

func join(head []byte, fs ...[]byte) []byte {
	return bytes.Join(append([][]byte{head}, fs...), nil)
}

func TestStreamRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 17} {
		plain := make([]byte, size)
		rand.Read(plain)
		id := uuid.New()
		got, err := open(t, id, testOrigin, sealed(t, id, plain))
		if err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("%d bytes: the plaintext changed", size)
		}
	}
}

func TestStreamRefused(t *testing.T) {
	id := uuid.New()
	plain := make([]byte, 3*ChunkSize+100)
	rand.Read(plain)
	good := sealed(t, id, plain)
	head, fs := frames(t, good)
	if len(fs) != 4 {
		t.Fatalf("%d frames, want 4", len(fs))
	}
	other := sealed(t, id, plain) // same plaintext, another encapsulation
	_, otherFs := frames(t, other)
	flipped := bytes.Clone(good)
	flipped[len(flipped)-20] ^= 1
	finalUnflagged := bytes.Clone(fs[3])
	finalUnflagged[0] = flagMore
	middleAsFinal := bytes.Clone(fs[1])
	middleAsFinal[0] = flagFinal

	tests := []struct {
		name   string
		stream []byte
		id     uuid.UUID
		origin string
		want   error
	}{
		{"a flipped bit", flipped, id, testOrigin, ErrTampered},
		{"chunks reordered", join(head, fs[0], fs[2], fs[1], fs[3]), id, testOrigin, ErrTampered},
		{"a chunk replayed", join(head, fs[0], fs[0], fs[1], fs[2], fs[3]), id, testOrigin, ErrTampered},
		{"a chunk from another stream", join(head, fs[0], otherFs[1], fs[2], fs[3]), id, testOrigin, ErrTampered},
		{"final chunk dropped", join(head, fs[0], fs[1], fs[2]), id, testOrigin, ErrTruncated},
		{"cut inside a chunk", good[:len(good)-100], id, testOrigin, ErrTruncated},
		{"final flag removed", join(head, fs[0], fs[1], fs[2], finalUnflagged), id, testOrigin, ErrTampered},
		{"cut and a middle chunk flagged final", join(head, fs[0], middleAsFinal), id, testOrigin, ErrTampered},
		{"bytes after the final chunk", append(bytes.Clone(good), 0), id, testOrigin, ErrMalformed},
		{"another transfer's key", good, uuid.New(), testOrigin, ErrTampered},
		{"another origin", good, id, "https://evil.example", ErrTampered},
		{"not a transfer stream", []byte("hello"), id, testOrigin, ErrMalformed},
		{"empty", nil, id, testOrigin, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := open(t, tt.id, tt.origin, tt.stream)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDeriveKeyPerTransfer(t *testing.T) {
	seed := bytes.Repeat([]byte{1}, 32)
	a1, _ := DeriveKey(seed, uuid.MustParse("00000000-0000-4000-8000-000000000001"))
	a2, _ := DeriveKey(seed, uuid.MustParse("00000000-0000-4000-8000-000000000001"))
	b, _ := DeriveKey(seed, uuid.MustParse("00000000-0000-4000-8000-000000000002"))
	c, _ := DeriveKey(bytes.Repeat([]byte{2}, 32), uuid.MustParse("00000000-0000-4000-8000-000000000001"))
	if !bytes.Equal(a1.PublicKey().Bytes(), a2.PublicKey().Bytes()) {
		t.Error("the same seed and id give different keys")
	}
	if bytes.Equal(a1.PublicKey().Bytes(), b.PublicKey().Bytes()) || bytes.Equal(a1.PublicKey().Bytes(), c.PublicKey().Bytes()) {
		t.Error("another id or seed gives the same key")
	}
	if _, err := DeriveKey(seed[:16], uuid.New()); err == nil {
		t.Error("a short seed was accepted")
	}
}
