package web

// TEMPORARY: delete this file when evidence.Verifier lands and wire that
// in its place (cmd/confidant/serve.go and internal/testserver pass
// TemporaryVerifier{} to OpenBackends).

import (
	"context"
	"encoding/hex"
	"strings"
	"time"

	"confidant/enclave"
	"confidant/enclave/evidence"
	"confidant/inference/signing"
)

// TemporaryVerifier stands in for the real report verifier: it
// recognises simulated reports (amber, with their report_data binding
// checked) and fails everything else, since it cannot verify a TDX quote.
type TemporaryVerifier struct{}

// VerifyReport implements inference.ReportVerifier.
func (TemporaryVerifier) VerifyReport(_ context.Context, r signing.Report, nonce [32]byte) evidence.Verdict {
	v := evidence.Verdict{State: evidence.Green, SigningAddress: r.SigningAddress, SigningAlgo: string(r.SigningAlgo), VerifiedAt: time.Now()}
	raw, err := hex.DecodeString(strings.TrimPrefix(r.IntelQuote, "0x"))
	if err != nil || !enclave.IsSimulatedQuote(raw) {
		v.Add(evidence.Check{Name: "tdx_quote", Status: evidence.Fail, Detail: "quote verification not available"})
		return v
	}
	v.Simulated = true
	v.Add(evidence.Check{Name: "tdx_quote", Status: evidence.Skipped, Detail: "simulated quote: no hardware signed it"})
	got, err := enclave.ParseSimulatedQuote(raw)
	want, werr := r.ExpectedReportData()
	echoed, nerr := signing.ParseNonce(r.RequestNonce)
	switch {
	case err != nil || werr != nil || nerr != nil:
		v.Add(evidence.Check{Name: "report_data", Status: evidence.Fail, Detail: "the report's quote, signing address or nonce is malformed"})
	case echoed != nonce || got != want:
		v.Add(evidence.Check{Name: "report_data", Status: evidence.Fail, Detail: "the quote does not bind the signing key to our nonce"})
	default:
		v.Add(evidence.Check{Name: "report_data", Status: evidence.Pass, Detail: "the quote binds the signing key to our fresh nonce"})
	}
	v.Add(evidence.Check{Name: "gpu", Status: evidence.Skipped, Detail: "simulated backend: no GPU evidence"})
	v.Facts = map[string]string{"quote": "simulated"}
	return v
}
