package vecxform

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func randomVec(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func cosine(a, b []float32) float64 {
	return dot(a, b) / math.Sqrt(dot(a, a)*dot(b, b))
}

func mustNew(t testing.TB, key []byte, dim int) *Transform {
	t.Helper()
	tr, err := New(key, dim)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestGolden(t *testing.T) {
	raw, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Key   string `json:"key"`
		Cases []struct {
			Dim    int       `json:"dim"`
			Output []float64 `json:"output"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	key, err := hex.DecodeString(f.Key)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range f.Cases {
		src := make([]float32, tc.Dim)
		for i := range src {
			src[i] = float32((i*7919)%1000-500) / 256
		}
		dst := make([]float32, tc.Dim)
		mustNew(t, key, tc.Dim).Apply(dst, src)
		for i, want := range tc.Output {
			if math.Abs(float64(dst[i])-want) > 1e-6 {
				t.Fatalf("dim %d: out[%d] = %v, want %v", tc.Dim, i, dst[i], want)
			}
		}
	}
}

func TestPreservesGeometry(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, dim := range []int{1, 2, 3, 7, 100, 384, 768, 1000, 1024, 1536, 3072} {
		tr := mustNew(t, testKey(1), dim)
		for range 20 {
			a, b := randomVec(r, dim), randomVec(r, dim)
			ta, tb := make([]float32, dim), make([]float32, dim)
			tr.Apply(ta, a)
			tr.Apply(tb, b)
			if d := math.Abs(cosine(a, b) - cosine(ta, tb)); d > 1e-6 {
				t.Fatalf("dim %d: cosine moved by %g", dim, d)
			}
			na, nta := math.Sqrt(dot(a, a)), math.Sqrt(dot(ta, ta))
			if d := math.Abs(na-nta) / na; d > 1e-6 {
				t.Fatalf("dim %d: norm moved by %g (relative)", dim, d)
			}
		}
	}
}

func TestInvert(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, dim := range []int{1, 5, 384, 1536} {
		tr := mustNew(t, testKey(2), dim)
		v := randomVec(r, dim)
		w := make([]float32, dim)
		tr.Apply(w, v)
		tr.Invert(w, w) // in place
		for i := range v {
			if math.Abs(float64(v[i]-w[i])) > 1e-5 {
				t.Fatalf("dim %d: Invert(Apply(v))[%d] = %v, want %v", dim, i, w[i], v[i])
			}
		}
	}
}

func TestDeterministicAndInPlace(t *testing.T) {
	v := randomVec(rand.New(rand.NewPCG(5, 6)), 768)
	a, b := make([]float32, 768), make([]float32, 768)
	mustNew(t, testKey(3), 768).Apply(a, v)
	mustNew(t, testKey(3), 768).Apply(b, v)
	c := append([]float32(nil), v...)
	mustNew(t, testKey(3), 768).Apply(c, c)
	for i := range a {
		if a[i] != b[i] || a[i] != c[i] {
			t.Fatalf("outputs differ at %d", i)
		}
	}
}

// TestKeysIndependent checks that two users' transforms of the same vector
// look unrelated: their cosine is near zero, as for random vectors.
func TestKeysIndependent(t *testing.T) {
	for _, dim := range []int{384, 768, 1536} {
		v := randomVec(rand.New(rand.NewPCG(7, 8)), dim)
		a, b := make([]float32, dim), make([]float32, dim)
		mustNew(t, testKey(4), dim).Apply(a, v)
		mustNew(t, testKey(5), dim).Apply(b, v)
		if c := math.Abs(cosine(a, b)); c > 6/math.Sqrt(float64(dim)) {
			t.Fatalf("dim %d: |cos| between users = %.3f", dim, c)
		}
		if c := math.Abs(cosine(a, v)); c > 6/math.Sqrt(float64(dim)) {
			t.Fatalf("dim %d: |cos| with the raw vector = %.3f", dim, c)
		}
	}
}

// TestMixesAcrossBlocks checks that one input coordinate spreads over nearly
// every output coordinate, including across block boundaries.
func TestMixesAcrossBlocks(t *testing.T) {
	for _, dim := range []int{384, 768, 1536} {
		tr := mustNew(t, testKey(6), dim)
		for _, j := range []int{0, dim / 2, dim - 1} {
			e := make([]float32, dim)
			e[j] = 1
			out := make([]float32, dim)
			tr.Apply(out, e)
			nonzero := 0
			for _, x := range out {
				if math.Abs(float64(x)) > 1e-9 {
					nonzero++
				}
			}
			if nonzero < dim*95/100 {
				t.Fatalf("dim %d: basis vector %d touched only %d outputs", dim, j, nonzero)
			}
		}
	}
}

func TestDecompose(t *testing.T) {
	tests := []struct {
		dim  int
		want []int
	}{
		{1, []int{1}},
		{384, []int{256, 128}},
		{768, []int{512, 256}},
		{1536, []int{1024, 512}},
		{1000, []int{512, 256, 128, 64, 32, 8}},
		{4096, []int{4096}},
	}
	for _, tt := range tests {
		got := decompose(tt.dim)
		off := 0
		if len(got) != len(tt.want) {
			t.Fatalf("decompose(%d) = %v", tt.dim, got)
		}
		for i, b := range got {
			if b.size != tt.want[i] || b.off != off {
				t.Fatalf("decompose(%d)[%d] = %+v", tt.dim, i, b)
			}
			off += b.size
		}
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name    string
		key     []byte
		dim     int
		wantErr error
	}{
		{"short key", make([]byte, 31), 384, ErrKeySize},
		{"zero dim", testKey(1), 0, ErrDimension},
		{"negative dim", testKey(1), -3, ErrDimension},
		{"huge dim", testKey(1), MaxDim + 1, ErrDimension},
		{"max dim", testKey(1), MaxDim, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.key, tt.dim); !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestApplyLengthMismatchPanics(t *testing.T) {
	tr := mustNew(t, testKey(1), 8)
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	tr.Apply(make([]float32, 8), make([]float32, 7))
}

func BenchmarkApply1536(b *testing.B) {
	tr := mustNew(b, testKey(1), 1536)
	v := randomVec(rand.New(rand.NewPCG(1, 1)), 1536)
	out := make([]float32, 1536)
	b.ReportAllocs()
	for b.Loop() {
		tr.Apply(out, v)
	}
}

func BenchmarkNew1536(b *testing.B) {
	for b.Loop() {
		mustNew(b, testKey(1), 1536)
	}
}
