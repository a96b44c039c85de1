// Package signing implements the per-response signatures of the
// private-inference attestation convention: the signed text, secp256k1
// EIP-191 personal_sign (ecdsa) and ed25519 signatures, and the report data
// that binds a signing key and a nonce into a quote.
//
// The formats are pinned by golden files in testdata; the secp256k1 code is
// checked against public web3.js vectors (testdata/README.md).
package signing
