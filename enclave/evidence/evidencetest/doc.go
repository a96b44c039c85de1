// Package evidencetest provides test doubles for package evidence: a
// structure-only quote verifier, a fake of NVIDIA's remote attestation
// service that signs real JWTs, and attestation reports in the shape real
// hardware serves. It is for tests only; nothing it makes is evidence.
package evidencetest
