package attestation

import (
	"context"
	"encoding/hex"
	"fmt"

	"confidant/enclave"
	"confidant/inference/signing"
)

// BoundReport is the app's report over a 32-byte binding of the caller's
// choosing instead of a signing key: report_data is binding ‖ nonce. The
// binding travels as an ed25519-shaped signing_address (64 hex digits), so
// the convention's verifiers (evidence.Verifier, `confidant verify`) check
// that the quote binds it and the nonce without knowing what it means; the
// caller then checks that it is the hash it expects. Fork transfer binds
// its HPKE key this way (docs/fork-transfer.md).
func (r *Reporter) BoundReport(ctx context.Context, binding, nonce [32]byte) (signing.Report, error) {
	rd, err := signing.ReportData(binding[:], nonce)
	if err != nil {
		return signing.Report{}, fmt.Errorf("attestation: %w", err)
	}
	quote, err := r.provider.Quote(ctx, rd)
	if err != nil {
		return signing.Report{}, fmt.Errorf("attestation: quote: %w", err)
	}
	info, err := r.provider.Info(ctx)
	if err != nil {
		return signing.Report{}, fmt.Errorf("attestation: info: %w", err)
	}
	eventLog := quote.EventLog
	if eventLog == "" {
		eventLog = "[]"
	}
	return signing.Report{
		SigningAddress: hex.EncodeToString(binding[:]),
		SigningAlgo:    signing.Ed25519,
		RequestNonce:   hex.EncodeToString(nonce[:]),
		IntelQuote:     hex.EncodeToString(quote.Raw),
		EventLog:       eventLog,
		Info:           info.Raw,
		Simulated:      r.provider.Kind() == enclave.KindSimulated,
	}, nil
}
