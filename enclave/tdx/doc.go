// Package tdx parses raw Intel TDX quotes (versions 4 and 5) and verifies
// them offline: the PCK certificate chain up to Intel's SGX root CA as of a
// given time, the Quoting Enclave report signed by the PCK key and bound to
// the attestation key, and the quote signature over header and TD report.
// With a collateral Getter it also fetches Intel PCS collateral and reports
// the platform's TCB status.
//
// Native builds verify version 4 quotes with go-tdx-guest and cross-check
// them with this package's own chain check; WebAssembly builds (the browser
// verifier) and version 5 quotes use the own check alone, which a
// differential test keeps in agreement with go-tdx-guest.
package tdx
