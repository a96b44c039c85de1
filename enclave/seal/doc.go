// Package seal encrypts column values with a user's data key so that each
// sealed value opens only in the row, column and account it was written for.
//
// A sealed value is
//
//	[0]      format version (0x01)
//	[1:5]    key id: the first 4 bytes of HMAC-SHA256(DEK, "confidant/seal/key-id/v1")
//	[5:17]   random 96-bit GCM nonce
//	[17:]    AES-256-GCM ciphertext and 16-byte tag
//
// The GCM additional data is a domain label, the 5 header bytes and the
// length-prefixed user id, table, column and row id (see AAD), so a value
// copied to another row, column or user fails with ErrCorrupt rather than
// opening. A value sealed under another data key fails with ErrWrongKey before
// any decryption is tried.
package seal
