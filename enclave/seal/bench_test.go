package seal

import (
	"crypto/rand"
	"fmt"
	"testing"
)

// BenchmarkSealOpen measures one Seal plus one Open of a value, with
// throughput over the plaintext size.
func BenchmarkSealOpen(b *testing.B) {
	dek := make([]byte, 32)
	_, _ = rand.Read(dek)
	aad := AAD{UserID: "0190c8a2-8b7e-7c3e-9f00-000000000001", Table: "messages", Column: "content", RowID: "0190c8a2-8b7e-7c3e-9f00-000000000002"}
	for _, size := range []int{100, 4 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			pt := make([]byte, size)
			_, _ = rand.Read(pt)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				ct, err := Seal(dek, aad, pt)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Open(dek, aad, ct); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkKeySealOpen is BenchmarkSealOpen with a prepared Key, as the
// store uses it.
func BenchmarkKeySealOpen(b *testing.B) {
	dek := make([]byte, 32)
	_, _ = rand.Read(dek)
	k, _ := NewKey(dek)
	aad := AAD{UserID: "0190c8a2-8b7e-7c3e-9f00-000000000001", Table: "messages", Column: "content", RowID: "0190c8a2-8b7e-7c3e-9f00-000000000002"}
	for _, size := range []int{100, 4 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			pt := make([]byte, size)
			_, _ = rand.Read(pt)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				ct, err := k.Seal(aad, pt)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := k.Open(aad, ct); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
