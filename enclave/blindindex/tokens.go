package blindindex

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
)

// TokenSize is the length of a token in bytes.
const TokenSize = 16

// Tokens returns one token per distinct word of text (see Words), in order of
// first appearance. key is the user's 32-byte blind-index key.
func Tokens(key []byte, text string) [][]byte {
	s := Normalize(text)
	// One HMAC state, reset per word: this runs for every stored message.
	// The tokens share one backing array, each capped at its own length.
	var (
		mac  hash.Hash
		out  [][]byte
		all  []byte
		word []byte
		sum  [sha256.Size]byte
	)
	eachWord(s, func(w string) {
		if mac == nil {
			mac = hmac.New(sha256.New, key)
		}
		if len(all) == cap(all) {
			// Room for as many tokens again as there are (8 to 256).
			all = make([]byte, 0, TokenSize*min(256, max(8, len(out))))
		}
		mac.Reset()
		word = append(word[:0], w...)
		mac.Write(word)
		n := len(all)
		all = append(all, mac.Sum(sum[:0])[:TokenSize]...)
		out = append(out, all[n:n+TokenSize:n+TokenSize])
	})
	return out
}

// QueryTokens returns the tokens of a search query. They are computed exactly
// like Tokens, so a row matches the query when its stored tokens contain every
// query token.
func QueryTokens(key []byte, query string) [][]byte {
	return Tokens(key, query)
}
