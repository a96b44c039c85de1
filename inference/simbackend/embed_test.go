package simbackend

import (
	"math"
	"slices"
	"testing"
)

func cosine(a, b []float32) float64 {
	var dot float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
	}
	return dot
}

func TestEmbed(t *testing.T) {
	for _, text := range []string{"", "!!!", "hello", "The quick brown fox jumps over the lazy dog"} {
		v := Embed(text)
		if len(v) != EmbedDims {
			t.Fatalf("Embed(%q) has %d dims", text, len(v))
		}
		if n := math.Sqrt(cosine(v, v)); math.Abs(n-1) > 1e-5 {
			t.Errorf("Embed(%q) has norm %f", text, n)
		}
		if !slices.Equal(v, Embed(text)) {
			t.Errorf("Embed(%q) is not deterministic", text)
		}
	}
	query := Embed("how do I reset my router password")
	related := Embed("Resetting the router password: hold the reset button")
	unrelated := Embed("a recipe for lemon cake with fresh berries")
	if r, u := cosine(query, related), cosine(query, unrelated); r <= u+0.2 {
		t.Errorf("related %.3f is not clearly above unrelated %.3f", r, u)
	}
	if c := cosine(Embed("Router Password"), Embed("router password")); c < 0.999 {
		t.Errorf("case changes the vector: cosine %.4f", c)
	}
}
