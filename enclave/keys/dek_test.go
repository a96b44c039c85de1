package keys

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"testing"
)

// tombstones is an in-memory TombstoneChecker.
type tombstones struct {
	ids map[string]bool
	err error
}

func (s *tombstones) IsTombstoned(_ context.Context, id []byte) (bool, error) {
	return s.ids[string(id)], s.err
}

func TestWrapPinned(t *testing.T) {
	d, kr, id := loadDerivations(t)
	for _, tt := range []struct {
		version uint32
		want    string
	}{{1, d.WrappedV1}, {2, d.WrappedV2}} {
		got, err := kr.wrapWithNonce(id, unhex(t, d.DEK), tt.version, unhex(t, d.Nonce))
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(got) != tt.want {
			t.Fatalf("v%d wrapped = %x, want %s", tt.version, got, tt.want)
		}
		dek, err := kr.UnwrapDEK(context.Background(), &tombstones{}, id, got)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(dek) != d.DEK {
			t.Fatalf("unwrapped %x", dek)
		}
	}
}

func TestUnwrapDEK(t *testing.T) {
	ctx := context.Background()
	_, kr, id := loadDerivations(t)
	dek, err := NewDEK()
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := kr.WrapDEK(id, dek)
	if err != nil {
		t.Fatal(err)
	}
	other := id
	other[0] ^= 1
	otherRoot, _ := NewKeyring(bytes.Repeat([]byte{9}, 32))
	flip := func(i int) []byte {
		w := bytes.Clone(wrapped)
		w[i] ^= 0x01
		return w
	}
	boom := errors.New("db down")
	dead := &tombstones{ids: map[string]bool{string(kr.TombstoneID(id)): true}}
	tests := []struct {
		name    string
		kr      *Keyring
		checker TombstoneChecker
		user    UserID
		wrapped []byte
		wantErr error
	}{
		{"ok", kr, &tombstones{}, id, wrapped, nil},
		{"func adapter", kr, TombstoneCheckerFunc(func(context.Context, []byte) (bool, error) { return false, nil }), id, wrapped, nil},
		{"tombstoned", kr, dead, id, wrapped, ErrUserDeleted},
		{"other user not tombstoned", kr, dead, other, wrapped, ErrUnwrap},
		{"checker fails closed", kr, &tombstones{err: boom}, id, wrapped, boom},
		{"no checker", kr, nil, id, wrapped, ErrNoTombstoneChecker},
		{"other user", kr, &tombstones{}, other, wrapped, ErrUnwrap},
		{"other enclave", otherRoot, &tombstones{}, id, wrapped, ErrUnwrap},
		{"format byte", kr, &tombstones{}, id, flip(0), ErrWrappedFormat},
		{"kek version relabelled", kr, &tombstones{}, id, flip(3), ErrUnwrap},
		{"nonce", kr, &tombstones{}, id, flip(6), ErrUnwrap},
		{"ciphertext", kr, &tombstones{}, id, flip(20), ErrUnwrap},
		{"tag", kr, &tombstones{}, id, flip(len(wrapped) - 1), ErrUnwrap},
		{"truncated", kr, &tombstones{}, id, wrapped[:len(wrapped)-1], ErrWrappedFormat},
		{"extended", kr, &tombstones{}, id, append(bytes.Clone(wrapped), 0), ErrWrappedFormat},
		{"empty", kr, &tombstones{}, id, nil, ErrWrappedFormat},
		{"version zero", kr, &tombstones{}, id, append([]byte{1, 0, 0, 0, 0}, wrapped[5:]...), ErrWrappedFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.kr.UnwrapDEK(ctx, tt.checker, tt.user, tt.wrapped)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && !bytes.Equal(got, dek) {
				t.Fatal("wrong data key")
			}
			if err != nil && got != nil {
				t.Fatal("key returned with an error")
			}
		})
	}
}

func TestWrapDEKErrors(t *testing.T) {
	_, kr, id := loadDerivations(t)
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := kr.WrapDEK(id, make([]byte, n)); !errors.Is(err, ErrDEKSize) {
			t.Errorf("len %d: err = %v", n, err)
		}
	}
}

func TestRewrapDEK(t *testing.T) {
	ctx := context.Background()
	d, v1, id := loadDerivations(t)
	root := unhex(t, d.Root)
	v2, err := NewKeyring(root, WithCurrentKEKVersion(2))
	if err != nil {
		t.Fatal(err)
	}
	dek, _ := NewDEK()
	old, err := v1.WrapDEK(id, dek)
	if err != nil {
		t.Fatal(err)
	}
	fresh, rotated, err := v2.RewrapDEK(ctx, &tombstones{}, id, old)
	if err != nil || !rotated {
		t.Fatalf("rotate: rotated=%v err=%v", rotated, err)
	}
	if v, _ := WrappedKEKVersion(fresh); v != 2 {
		t.Fatalf("version = %d", v)
	}
	again, rotated, err := v2.RewrapDEK(ctx, &tombstones{}, id, fresh)
	if err != nil || rotated || !bytes.Equal(again, fresh) {
		t.Fatalf("second rotate: rotated=%v err=%v", rotated, err)
	}
	// An enclave still configured for v1 reads keys already rotated to v2.
	got, err := v1.UnwrapDEK(ctx, &tombstones{}, id, fresh)
	if err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("v1 reads v2: err=%v", err)
	}
	dead := &tombstones{ids: map[string]bool{string(v2.TombstoneID(id)): true}}
	if _, _, err := v2.RewrapDEK(ctx, dead, id, old); !errors.Is(err, ErrUserDeleted) {
		t.Fatalf("tombstoned rewrap err = %v", err)
	}
}

func TestNewDEK(t *testing.T) {
	a, err := NewDEK()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewDEK()
	if len(a) != KeySize || bytes.Equal(a, b) {
		t.Fatal("NewDEK is not 32 fresh random bytes")
	}
}
