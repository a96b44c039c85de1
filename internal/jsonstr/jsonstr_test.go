package jsonstr

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// Append writes exactly what encoding/json writes for every
// single byte, for tricky strings and for random mixtures of them.
func TestAppendMatchesEncodingJSON(t *testing.T) {
	inputs := []string{"", "plain", `quote " backslash \ slash /`, "<script>alert(1)</script> & more",
		"line\u2028sep\u2029para", "tab\tnl\ncr\rbs\bff\f nul\x00 esc\x1b del\x7f", "é 日本 🎉 e\u0301",
		"bad \xff \xc3 \xe6\x97 \xed\xa0\x80 surrogate", "\ufffd real replacement", "ends in \xc3"}
	for b := range 256 {
		inputs = append(inputs, string([]byte{byte(b)}), "a"+string([]byte{byte(b)})+"z")
	}
	pieces := []string{"a", " ", "\"", "\\", "<", ">", "&", "\n", "\x01", "\u2028", "\u2029", "é", "🎉", "\xff", "\xe2\x80", "\xe2\x80\xa8"}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		var b strings.Builder
		for range rng.IntN(40) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		inputs = append(inputs, b.String())
	}
	for _, in := range inputs {
		want, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := Append([]byte("prefix"), in); string(got) != "prefix"+string(want) {
			t.Fatalf("Append(%q) = %s, want %s", in, got[len("prefix"):], want)
		}
	}
}

func BenchmarkAppend(b *testing.B) {
	token := " token with \"quotes\" <b>"
	buf := make([]byte, 0, 64)
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = Append(buf[:0], token)
		}
	})
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m, _ := json.Marshal(token)
			buf = append(buf[:0], m...)
		}
	})
}
