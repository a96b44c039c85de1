package blindindex

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// wordsReference is Words as it was first written — a builder per word, a
// map of words seen — kept to prove the faster Words gives the same words.
func wordsReference(text string) []string {
	s := Normalize(text)
	var words []string
	seen := map[string]bool{}
	add := func(w string) {
		if w != "" && !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	var b strings.Builder
	flush := func() {
		add(b.String())
		b.Reset()
	}
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana):
			flush()
			add(string(r))
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.M, r):
			b.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return words
}

// tokensReference is Tokens computed the plain way: one HMAC per word of
// wordsReference.
func tokensReference(key []byte, text string) [][]byte {
	var out [][]byte
	for _, w := range wordsReference(text) {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(w))
		out = append(out, m.Sum(nil)[:TokenSize])
	}
	return out
}

// corpus is every text of the test data plus random texts drawn from
// letters, digits, marks, ideographs, emoji, separators and invalid UTF-8,
// long enough to pass the dedup list's switch to a set.
func corpus(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("testdata/corpus.txt")
	if err != nil {
		t.Fatal(err)
	}
	texts := strings.Split(string(raw), "\n")
	for _, c := range loadWordCases(t) {
		texts = append(texts, c.Text)
	}
	pieces := []string{"a", "Z", "q", "7", "ß", "ẞ", "İ", "ı", "Σ", "ς", "é", "e\u0301", "\u0301", "ﬁ", "①", "٣", "日", "本", "カ", "ひ", "한",
		"🎉", "\u200d", "\u2028", " ", ".", "-", "_", "\t", "\n", "\xff", "\xc3", "\xe6\x97", "\ufffd", "word", "Word", "WORD", "straße"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		var b strings.Builder
		for range rng.IntN(400) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	return texts
}

// Words and Tokens give exactly what the reference implementations give,
// over the whole corpus: the index on disk stays valid.
func TestTokensMatchReferenceOverCorpus(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	for i, text := range corpus(t) {
		if got, want := Words(text), wordsReference(text); !slices.Equal(got, want) {
			t.Fatalf("text %d %q: words %q, want %q", i, text, got, want)
		}
		got, want := Tokens(key, text), tokensReference(key, text)
		if len(got) != len(want) {
			t.Fatalf("text %d %q: %d tokens, want %d", i, text, len(got), len(want))
		}
		for j := range got {
			if !bytes.Equal(got[j], want[j]) || cap(got[j]) != TokenSize {
				t.Fatalf("text %d %q: token %d = %x (cap %d), want %x", i, text, j, got[j], cap(got[j]), want[j])
			}
		}
	}
}
