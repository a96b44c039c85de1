package vecxform

import (
	"errors"
	"fmt"
	"sync"
)

const (
	// MaxDim is the largest dimension New accepts.
	MaxDim = 1 << 16
	// MinKeySize is the shortest key New accepts.
	MinKeySize = 32
	// rounds is the number of permute-sign-Hadamard rounds; a final
	// permute-sign stage follows them.
	rounds = 3
)

var (
	// ErrKeySize is returned for a key shorter than MinKeySize.
	ErrKeySize = errors.New("vecxform: key must be at least 32 bytes")
	// ErrDimension is returned for a dimension outside 1..MaxDim.
	ErrDimension = errors.New("vecxform: dimension out of range")
)

// stage is a keyed signed permutation: out[i] = sign[i] * in[perm[i]].
type stage struct {
	perm []int32
	sign []float64
}

// Transform is one user's orthogonal transform for one dimension. It is safe
// for concurrent use.
type Transform struct {
	dim     int
	blocks  []block
	stages  [rounds + 1]stage
	scratch sync.Pool // *[]float64 of length 2*dim
}

// New derives the transform for key (the user's vector key, see
// keys.Keyring.VectorKey) and dimension dim.
func New(key []byte, dim int) (*Transform, error) {
	if len(key) < MinKeySize {
		return nil, ErrKeySize
	}
	if dim < 1 || dim > MaxDim {
		return nil, fmt.Errorf("%w: %d", ErrDimension, dim)
	}
	ks, err := newKeystream(key, dim)
	if err != nil {
		return nil, fmt.Errorf("vecxform: %w", err)
	}
	t := &Transform{dim: dim, blocks: decompose(dim)}
	for i := range t.stages {
		t.stages[i] = stage{perm: ks.permutation(dim), sign: ks.signs(dim)}
	}
	t.scratch.New = func() any {
		buf := make([]float64, 2*dim)
		return &buf
	}
	return t, nil
}

// Dim returns the dimension the transform was made for.
func (t *Transform) Dim() int { return t.dim }

// Apply writes the transform of src to dst. dst and src may be the same
// slice. It panics if either length differs from Dim, like a cipher.Stream
// given mismatched buffers: that is a programming error, not bad data.
func (t *Transform) Apply(dst, src []float32) {
	t.run(dst, src, false)
}

// Invert undoes Apply: Invert(x, Apply(x, v)) gives back v up to rounding.
func (t *Transform) Invert(dst, src []float32) {
	t.run(dst, src, true)
}

func (t *Transform) run(dst, src []float32, inverse bool) {
	if len(dst) != t.dim || len(src) != t.dim {
		panic(fmt.Sprintf("vecxform: got dst %d and src %d values, want %d", len(dst), len(src), t.dim))
	}
	bufp := t.scratch.Get().(*[]float64)
	defer t.scratch.Put(bufp)
	cur, tmp := (*bufp)[:t.dim], (*bufp)[t.dim:]
	for i, v := range src {
		cur[i] = float64(v)
	}
	if inverse {
		t.stages[rounds].undo(tmp, cur)
		cur, tmp = tmp, cur
		for r := rounds - 1; r >= 0; r-- {
			t.mix(cur)
			t.stages[r].undo(tmp, cur)
			cur, tmp = tmp, cur
		}
	} else {
		for r := range rounds {
			t.stages[r].do(tmp, cur)
			t.mix(tmp)
			cur, tmp = tmp, cur
		}
		t.stages[rounds].do(tmp, cur)
		cur = tmp
	}
	for i, v := range cur {
		dst[i] = float32(v)
	}
}

// mix applies the normalised Hadamard transform to each block of x.
func (t *Transform) mix(x []float64) {
	for _, b := range t.blocks {
		hadamard(x[b.off:b.off+b.size], b.scale)
	}
}

// do computes out[i] = sign[i] * in[perm[i]].
func (s *stage) do(out, in []float64) {
	for i, p := range s.perm {
		out[i] = s.sign[i] * in[p]
	}
}

// undo inverts do: out[perm[i]] = sign[i] * in[i].
func (s *stage) undo(out, in []float64) {
	for i, p := range s.perm {
		out[p] = s.sign[i] * in[i]
	}
}
