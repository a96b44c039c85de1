package attestation

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"confidant/enclave"
	"confidant/inference/signing"
)

// BackendReports gives the attestation reports of the backends the app
// sends user data to, each bound to nonce (the caller's, passed through, so
// a verifier checks every report's freshness with its own nonce), exactly
// as the backends sent them.
type BackendReports interface {
	Reports(ctx context.Context, nonce [32]byte, algo signing.Algo) []json.RawMessage
}

// GatewayReport is the answer of GET /v1/attestation/report: the app's own
// report and those of the backends it sends user data to.
type GatewayReport struct {
	GatewayAttestation signing.Report    `json:"gateway_attestation"`
	ModelAttestations  []json.RawMessage `json:"model_attestations"`
}

// Reporter makes the app's attestation reports.
type Reporter struct {
	provider enclave.Provider
	signers  *Signers
	backends BackendReports // nil: no backend reports to pass on
}

// NewReporter returns a Reporter quoting through provider for the keys in
// signers. backends may be nil.
func NewReporter(provider enclave.Provider, signers *Signers, backends BackendReports) *Reporter {
	return &Reporter{provider: provider, signers: signers, backends: backends}
}

// Signers returns the keys the reports vouch for.
func (r *Reporter) Signers() *Signers { return r.signers }

// Report binds the signing identity for algo and nonce into a fresh quote:
// report_data is the identity right-padded to 32 bytes, then the nonce.
func (r *Reporter) Report(ctx context.Context, nonce [32]byte, algo signing.Algo) (GatewayReport, error) {
	signer := r.signers.For(algo)
	rd, err := signing.ReportData(signer.Identity(), nonce)
	if err != nil {
		return GatewayReport{}, fmt.Errorf("attestation: %w", err)
	}
	quote, err := r.provider.Quote(ctx, rd)
	if err != nil {
		return GatewayReport{}, fmt.Errorf("attestation: quote: %w", err)
	}
	info, err := r.provider.Info(ctx)
	if err != nil {
		return GatewayReport{}, fmt.Errorf("attestation: info: %w", err)
	}
	eventLog := quote.EventLog
	if eventLog == "" {
		eventLog = "[]"
	}
	out := GatewayReport{
		GatewayAttestation: signing.Report{
			SigningAddress: signer.Address(),
			SigningAlgo:    signer.Algo(),
			RequestNonce:   hex.EncodeToString(nonce[:]),
			IntelQuote:     hex.EncodeToString(quote.Raw),
			EventLog:       eventLog,
			Info:           info.Raw,
			Simulated:      r.provider.Kind() == enclave.KindSimulated,
		},
		ModelAttestations: []json.RawMessage{},
	}
	if r.backends != nil {
		out.ModelAttestations = append(out.ModelAttestations, r.backends.Reports(ctx, nonce, algo)...)
	}
	return out, nil
}
