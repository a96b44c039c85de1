package blindindex

import (
	"crypto/hmac"
	"crypto/sha256"
)

// TokenSize is the length of a token in bytes.
const TokenSize = 16

// Tokens returns one token per distinct word of text (see Words), in order of
// first appearance. key is the user's 32-byte blind-index key.
func Tokens(key []byte, text string) [][]byte {
	words := Words(text)
	if len(words) == 0 {
		return nil
	}
	// One HMAC state, reset per word: this runs for every stored message.
	mac := hmac.New(sha256.New, key)
	out := make([][]byte, len(words))
	sum := make([]byte, 0, sha256.Size)
	for i, w := range words {
		mac.Reset()
		mac.Write([]byte(w))
		out[i] = append([]byte(nil), mac.Sum(sum[:0])[:TokenSize]...)
	}
	return out
}

// QueryTokens returns the tokens of a search query. They are computed exactly
// like Tokens, so a row matches the query when its stored tokens contain every
// query token.
func QueryTokens(key []byte, query string) [][]byte {
	return Tokens(key, query)
}
