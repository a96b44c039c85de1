package vecxform

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"math"

	"confidant/enclave/internal/primitive"
)

// keystream yields deterministic pseudorandom integers from AES-256-CTR.
type keystream struct {
	stream cipher.Stream
	buf    [512]byte
	pos    int // next unread byte of buf; len(buf) when empty
}

// newKeystream derives the stream key from key and dim with HKDF-SHA256.
func newKeystream(key []byte, dim int) (*keystream, error) {
	seed, err := primitive.HKDF(key, nil, fmt.Sprintf("confidant/vecxform/v1 dim=%d", dim), 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(seed)
	if err != nil {
		return nil, err
	}
	ks := &keystream{stream: cipher.NewCTR(block, make([]byte, aes.BlockSize))}
	ks.pos = len(ks.buf)
	return ks, nil
}

// uint64 returns the next 8 keystream bytes as a big-endian integer.
func (k *keystream) uint64() uint64 {
	if k.pos == len(k.buf) {
		clear(k.buf[:])
		k.stream.XORKeyStream(k.buf[:], k.buf[:])
		k.pos = 0
	}
	v := binary.BigEndian.Uint64(k.buf[k.pos:])
	k.pos += 8
	return v
}

// below returns a uniform integer in [0, n) by rejection sampling, n > 0.
func (k *keystream) below(n uint64) uint64 {
	// Accept v below the largest multiple of n that fits in 2^64.
	limit := math.MaxUint64 - (math.MaxUint64%n+1)%n
	for {
		if v := k.uint64(); v <= limit {
			return v % n
		}
	}
}

// permutation returns a uniform permutation of [0, n) (Fisher–Yates).
func (k *keystream) permutation(n int) []int32 {
	p := make([]int32, n)
	for i := range p {
		p[i] = int32(i)
	}
	for i := n - 1; i > 0; i-- {
		j := k.below(uint64(i + 1))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// signs returns n values of +1 or -1, one keystream bit each.
func (k *keystream) signs(n int) []float64 {
	s := make([]float64, n)
	var bits uint64
	for i := range s {
		if i%64 == 0 {
			bits = k.uint64()
		}
		s[i] = 1
		if bits&1 == 1 {
			s[i] = -1
		}
		bits >>= 1
	}
	return s
}
