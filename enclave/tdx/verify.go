package tdx

import (
	"crypto/x509"
	"time"
)

// Options configure Verify.
type Options struct {
	// Now is the time at which certificates and collateral must be valid;
	// zero means time.Now().
	Now time.Time
	// Roots are the trusted roots; nil means Intel's SGX root CA. Only
	// tests inject other roots (see package tdxtest).
	Roots *x509.CertPool
	// Collateral fetches Intel PCS collateral (TCB info, QE identity,
	// CRLs) to evaluate the platform's TCB status and revocations; nil
	// verifies offline and leaves Result.TCBStatus empty.
	Collateral Getter
}

// Result is a verified quote.
type Result struct {
	Quote *Quote `json:"quote"`
	// TCBStatus is Intel's verdict on the platform's TCB level, such as
	// "UpToDate" or "OutOfDate"; empty when no collateral was fetched.
	TCBStatus string `json:"tcb_status,omitempty"`
	// PCKSubject is the subject of the PCK leaf certificate.
	PCKSubject string `json:"pck_subject"`
	// PCKNotAfter is when the PCK leaf certificate expires.
	PCKNotAfter time.Time `json:"pck_not_after"`
	// VerifiedAt is the time the chain was checked against.
	VerifiedAt time.Time `json:"verified_at"`
	// Verifier names the code that verified the quote: "go-tdx-guest+own"
	// for native builds and version 4 quotes, "own" otherwise.
	Verifier string `json:"verifier"`
}

// Verify parses raw and verifies it: the PCK certificate chain to the
// trusted roots at opts.Now, the Quoting Enclave report (signed by the PCK
// key, binding the attestation key) and the quote signature over header and
// TD report. With opts.Collateral it also checks revocations and the TCB
// status; a status other than UpToDate returns an error wrapping
// ErrTCBStatus together with a Result carrying the status, so that a
// caller may accept, say, OutOfDate by policy (the chain, the QE report and
// the quote signature were verified; go-tdx-guest stops there, before
// matching the QE against Intel's QE identity). Any other error comes with
// a nil Result. Verify does not look at report data or measurements: the
// caller compares them with what it expects.
func Verify(raw []byte, opts Options) (*Result, error) {
	q, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	roots := opts.Roots
	if roots == nil {
		roots = IntelRoots()
	}
	pck, err := checkQuote(q, roots, now)
	if err != nil {
		return nil, err
	}
	res := &Result{Quote: q, PCKSubject: pck.Subject.String(), PCKNotAfter: pck.NotAfter.UTC(), VerifiedAt: now.UTC(), Verifier: "own"}
	if err := verifyPlatform(raw, q, roots, now, opts.Collateral, res); err != nil {
		if res.TCBStatus != "" {
			return res, err
		}
		return nil, err
	}
	return res, nil
}
