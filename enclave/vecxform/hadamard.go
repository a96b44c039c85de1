package vecxform

import (
	"math"
	"math/bits"
)

// block is a power-of-two slice [off, off+size) of the vector.
type block struct {
	off, size int
	scale     float64 // 1/sqrt(size)
}

// decompose splits dim into its binary digits, largest block first.
func decompose(dim int) []block {
	var out []block
	off := 0
	for b := bits.Len(uint(dim)) - 1; b >= 0; b-- {
		size := 1 << b
		if dim&size == 0 {
			continue
		}
		out = append(out, block{off: off, size: size, scale: 1 / math.Sqrt(float64(size))})
		off += size
	}
	return out
}

// hadamard applies the normalised Walsh–Hadamard transform in place; len(x)
// is a power of two. The normalised transform is its own inverse.
func hadamard(x []float64, scale float64) {
	n := len(x)
	for h := 1; h < n; h <<= 1 {
		for i := 0; i < n; i += h << 1 {
			for j := i; j < i+h; j++ {
				a, b := x[j], x[j+h]
				x[j], x[j+h] = a+b, a-b
			}
		}
	}
	if n > 1 {
		for i := range x {
			x[i] *= scale
		}
	}
}
