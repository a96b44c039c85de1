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
	var words []string
	eachWord(Normalize(text), func(w string) { words = append(words, w) })
	return words
}

// eachWord calls fn with each distinct word of s, which is normalised
// already, in order of first appearance. The words are substrings of s:
// each is a run of runes decoded from s and kept as they were encoded.
func eachWord(s string, fn func(w string)) {
	var d dedup
	start := -1 // start of the word being read, or -1
	end := func(i int) {
		if start >= 0 && d.add(s[start:i]) {
			fn(s[start:i])
		}
		start = -1
	}
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			// ASCII: letters and digits are word runes, nothing is an
			// ideograph.
			if 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' {
				if start < 0 {
					start = i
				}
			} else {
				end(i)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case isIdeograph(r):
			end(i)
			if d.add(s[i : i+size]) {
				fn(s[i : i+size])
			}
		case isWordRune(r):
			if start < 0 {
				start = i
			}
		default:
			end(i)
		}
		i += size
	}
	end(len(s))
}

// dedup remembers words seen: a short list searched in order while it is
// short, as most texts' are, and a set once it is not.
type dedup struct {
	list []string
	set  map[string]struct{}
}

const dedupListMax = 32

// add reports whether w is new, and remembers it.
func (d *dedup) add(w string) bool {
	if d.set != nil {
		if _, ok := d.set[w]; ok {
			return false
		}
		d.set[w] = struct{}{}
		return true
	}
	for _, x := range d.list {
		if x == w {
			return false
		}
	}
	if len(d.list) < dedupListMax {
		d.list = append(d.list, w)
		return true
	}
	d.set = make(map[string]struct{}, 2*dedupListMax)
	for _, x := range d.list {
		d.set[x] = struct{}{}
	}
	d.set[w] = struct{}{}
	return true
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
