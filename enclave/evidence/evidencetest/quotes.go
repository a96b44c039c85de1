package evidencetest

import (
	"time"

	"confidant/enclave/evidence"
)

// StructureOnlyQuotes is a TEST evidence.QuoteVerifier: it parses a quote
// with go-tdx-guest's abi package and vouches for it WITHOUT checking its
// signature chain, reporting TCBStatus as Intel's verdict, or fails with
// Err. It lets tests reach green with quotes they build; real chain
// verification replaces it everywhere else.
type StructureOnlyQuotes struct {
	TCBStatus string
	Err       error
}

// VerifyQuote implements evidence.QuoteVerifier.
func (s StructureOnlyQuotes) VerifyQuote(raw []byte, _ time.Time) (evidence.QuoteFacts, error) {
	if s.Err != nil {
		return evidence.QuoteFacts{}, s.Err
	}
	f, err := evidence.ParseQuote(raw)
	f.TCBStatus = s.TCBStatus
	return f, err
}
