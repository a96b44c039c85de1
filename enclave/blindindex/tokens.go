package blindindex

import "confidant/enclave/internal/primitive"

// TokenSize is the length of a token in bytes.
const TokenSize = 16

// Tokens returns one token per distinct word of text (see Words), in order of
// first appearance. key is the user's 32-byte blind-index key.
func Tokens(key []byte, text string) [][]byte {
	words := Words(text)
	if len(words) == 0 {
		return nil
	}
	out := make([][]byte, len(words))
	for i, w := range words {
		out[i] = token(key, w)
	}
	return out
}

// QueryTokens returns the tokens of a search query. They are computed exactly
// like Tokens, so a row matches the query when its stored tokens contain every
// query token.
func QueryTokens(key []byte, query string) [][]byte {
	return Tokens(key, query)
}

func token(key []byte, word string) []byte {
	return primitive.HMAC(key, []byte(word))[:TokenSize:TokenSize]
}
