package tdx

import "errors"

// Parse errors.
var (
	// ErrSimulated is returned for a quote made by Confidant's simulated
	// enclave: it is not a TDX quote and never verifies as one.
	ErrSimulated = errors.New("tdx: simulated quote, not produced by TDX hardware")
	// ErrTruncated is returned when the input ends before the quote does.
	ErrTruncated = errors.New("tdx: quote is truncated")
	// ErrMalformed is returned when a quote field has an impossible value.
	ErrMalformed = errors.New("tdx: malformed quote")
	// ErrUnsupported is returned for a well-formed quote this package does
	// not handle (another version, TEE type or attestation key type).
	ErrUnsupported = errors.New("tdx: unsupported quote")
)

// Verification errors. Each wraps a detail a person can act on.
var (
	// ErrCertChain is returned when the PCK certificate chain inside the
	// quote is missing, malformed or not shaped like Intel's.
	ErrCertChain = errors.New("tdx: PCK certificate chain is invalid")
	// ErrUntrustedRoot is returned when the chain does not lead to a trusted
	// root (Intel's SGX root CA unless the caller injected another).
	ErrUntrustedRoot = errors.New("tdx: certificate chain does not lead to a trusted root")
	// ErrCertExpired is returned when a certificate in the chain is not
	// valid at the verification time.
	ErrCertExpired = errors.New("tdx: certificate not valid at the verification time")
	// ErrQEReport is returned when the Quoting Enclave report is not signed
	// by the PCK key or does not bind the attestation key.
	ErrQEReport = errors.New("tdx: quoting enclave report does not verify")
	// ErrSignature is returned when the quote signature over header and TD
	// report does not verify with the attestation key.
	ErrSignature = errors.New("tdx: quote signature does not verify")
	// ErrCollateral is returned when PCS collateral cannot be fetched,
	// parsed, authenticated or is out of date at the verification time.
	ErrCollateral = errors.New("tdx: TCB collateral unusable")
	// ErrTCBStatus is returned when the platform's TCB level is not
	// UpToDate (the Result then carries the status found) or matches no
	// level at all.
	ErrTCBStatus = errors.New("tdx: platform TCB is not up to date")
	// ErrRejected is returned when go-tdx-guest rejects a quote for a reason
	// the own check does not classify.
	ErrRejected = errors.New("tdx: quote rejected")
)
