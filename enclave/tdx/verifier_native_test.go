//go:build !js

package tdx_test

// v4Verifier is Result.Verifier for a version 4 quote in this build.
const v4Verifier = "go-tdx-guest+own"
