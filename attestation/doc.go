// Package attestation is Confidant speaking for itself in the
// private-inference attestation convention (DESIGN.md, "Attestation and
// the shield"): the app's signing keys, derived inside the enclave so they
// survive restarts and are the same on every replica; the gateway report
// that binds those keys and a caller's nonce to a fresh hardware quote and
// passes on each backend's latest verified report; and the signatures over
// the app's own API responses, served at /v1/signature/{id}.
package attestation
