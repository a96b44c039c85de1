//go:build js

package tdx_test

// v4Verifier is Result.Verifier for a version 4 quote in this build: the
// browser build has only the own check.
const v4Verifier = "own"
