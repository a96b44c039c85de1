// Package blindindex turns text into keyed word tokens so sealed text can be
// searched by keyword without the database seeing the words.
//
// Text is normalised (NFKC, Unicode case folding), split into words, and each
// distinct word becomes the first 16 bytes of HMAC-SHA256 under the user's
// blind-index key (keys.Keyring.BlindIndexKey). The same word always gives the
// same token for one user and an unrelated token for another. Tokens reveal
// which rows share a word, and how often words recur; they do not reveal the
// words themselves.
package blindindex
