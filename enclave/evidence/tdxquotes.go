package evidence

import (
	"crypto/x509"
	"errors"
	"time"

	"confidant/enclave/tdx"
)

// TDXQuotes verifies TDX quote chains with enclave/tdx: the PCK chain to
// Intel's root (or Roots), the quoting enclave's report and the quote
// signature, and with Collateral the platform's TCB status. A TCB status
// other than UpToDate is handed to the Verifier's policy rather than
// refused here.
type TDXQuotes struct {
	// Roots are the trusted roots; nil means Intel's SGX root CA. Only
	// tests set it.
	Roots *x509.CertPool
	// Collateral fetches Intel's PCS collateral; nil verifies offline and
	// leaves the TCB status unchecked.
	Collateral tdx.Getter
}

// VerifyQuote implements QuoteVerifier.
func (t TDXQuotes) VerifyQuote(raw []byte, now time.Time) (QuoteFacts, error) {
	res, err := tdx.Verify(raw, tdx.Options{Now: now, Roots: t.Roots, Collateral: t.Collateral})
	if err != nil && !(errors.Is(err, tdx.ErrTCBStatus) && res != nil && res.TCBStatus != "") {
		return QuoteFacts{}, err
	}
	q := res.Quote
	facts := QuoteFacts{MRTD: q.MRTD, MRConfigID: q.MRConfigID, RTMRs: q.RTMRs, TCBStatus: res.TCBStatus}
	copy(facts.ReportData[:], q.ReportData)
	return facts, nil
}
