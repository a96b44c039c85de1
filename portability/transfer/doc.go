// Package transfer moves a user's account from one Confidant fork to
// another, enclave to enclave: the destination offers an HPKE key bound to
// its attestation quote, the source verifies that offer and streams the
// export bundle sealed to the key, and the destination opens and imports
// it (docs/fork-transfer.md).
package transfer
