// Package keys derives Confidant's key hierarchy from the enclave root secret
// and wraps each user's data key so that only this enclave can unwrap it.
//
// The root secret comes from the enclave Provider on the fixed path RootPath.
// Every other key is HKDF-SHA256 of the root with a versioned label, so the
// same measured app (or any replica of it) derives the same keys and nothing
// needs to be stored. The labels are a contract: changing one makes existing
// data unreadable, and testdata/derivations.json pins them.
package keys
