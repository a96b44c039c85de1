// Package primitive holds the one AES-256-GCM, HKDF-SHA256 and HMAC-SHA256 code
// path that every enclave package uses, so that published test vectors check
// the code that seals user data.
package primitive
