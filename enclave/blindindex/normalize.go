package blindindex

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Normalize returns text in the form tokens are computed from: NFKC, then
// Unicode full case folding (so "Straße" and "STRASSE" agree), then NFKC
// again because folding can leave unnormalised sequences.
func Normalize(text string) string {
	if isASCII(text) {
		// ASCII is NFKC already, and full case folding maps only A-Z
		// within it: the same result, without three passes over the text.
		return strings.ToLower(text)
	}
	s := norm.NFKC.String(text)
	s = cases.Fold().String(s)
	return norm.NFKC.String(s)
}

// Words returns the distinct words of text after normalisation, in order of
// first appearance. A word is a run of letters, digits and combining marks;
// everything else separates words. Han, Hiragana and Katakana characters,
// which are written without spaces, each count as a word of their own.
func Words(text string) []string {
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
		case isIdeograph(r):
			flush()
			add(string(r))
		case isWordRune(r):
			b.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return words
}

// isWordRune reports whether r belongs inside a word.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.M, r)
}

// isIdeograph reports whether r is from a script written without spaces
// between words, where each character is indexed on its own.
func isIdeograph(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
