package evidence

import (
	"context"
	"time"

	"confidant/inference/signing"
)

// QuoteVerifier checks a TDX quote's signature chain (to Intel's root) and
// TCB status, and returns the fields the other checks need. An adapter over
// enclave/tdx implements it; tests inject their own.
type QuoteVerifier interface {
	VerifyQuote(raw []byte, now time.Time) (QuoteFacts, error)
}

// QuoteFacts are the fields of a verified TDX quote.
type QuoteFacts struct {
	ReportData [64]byte
	MRTD       []byte    // 48 bytes
	MRConfigID []byte    // 48 bytes
	RTMRs      [4][]byte // 48 bytes each
	// TCBStatus is Intel's TCB status of the platform (UpToDate,
	// SWHardeningNeeded, OutOfDate, Revoked…); "" means it was not checked.
	TCBStatus string
}

// Config holds a Verifier's dependencies. The zero value verifies
// everything it can offline and never reaches green.
type Config struct {
	// Quotes verifies TDX quote chains. Nil: quotes are only parsed for
	// their fields and the tdx_quote check is skipped (never green).
	Quotes QuoteVerifier
	// NRAS asks NVIDIA's remote verifier for a GPU verdict. Nil: the GPU
	// verdict cannot be fetched and the gpu check is skipped after its
	// nonce is checked.
	NRAS *NRASClient
	// Allow pins measurements and image digests; empty: the allowlist
	// check is skipped ("no allowlist configured").
	Allow Allowlist
	// StrictTCB fails a quote whose TCB status is OutOfDate (by default it
	// passes with a warning, as the convention's reference verifier does).
	StrictTCB bool
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Verifier verifies attestation reports. It is safe for concurrent use.
type Verifier struct {
	cfg Config
}

// New returns a Verifier with cfg.
func New(cfg Config) *Verifier {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Verifier{cfg: cfg}
}

// role says what kind of report is verified: an inference node must carry
// GPU evidence; Confidant's own (gateway) report runs no GPU work.
type role int

const (
	roleNode role = iota
	roleGateway
)

// VerifyReport verifies one inference node's report against nonce, the
// nonce we sent for it. Every property is a Check, in this order:
//
//   - nonce: request_nonce is ours.
//   - tdx_quote: the quote's chain and TCB status (Config.Quotes; see
//     tcbCheck for the policy); skipped for simulated quotes and when no
//     QuoteVerifier is configured.
//   - report_data: the quote binds signing_address and our nonce.
//   - compose_hash: sha256(app_compose) is the compose hash info claims,
//     and the quote's mr_config_id is 0x01 ‖ hash ‖ zeros.
//   - event_log: the RTMR3 events replay to the quote's RTMR3 (for a
//     simulated report, to info's rtmr3), their compose-hash event is
//     that hash, and their app-id event is info's app_id.
//   - gpu: nvidia_payload's nonce is ours and NVIDIA's verifier signs a
//     passing verdict for it (skipped when it cannot be asked).
//   - allowlist: measurements and images are pinned (Config.Allow).
//
// Anything that fails to parse fails its check. A report whose quote is
// simulated, or that says it is, is Simulated and never green.
func (v *Verifier) VerifyReport(ctx context.Context, r signing.Report, nonce [32]byte) Verdict {
	return v.verify(ctx, r, nonce, roleNode)
}

// verify runs every check on r in a fixed order.
func (v *Verifier) verify(ctx context.Context, r signing.Report, nonce [32]byte, ro role) Verdict {
	now := v.cfg.Now()
	vd := Verdict{
		State:          Green,
		SigningAddress: r.SigningAddress,
		SigningAlgo:    string(r.SigningAlgo),
		VerifiedAt:     now.UTC(),
		Facts:          map[string]string{},
	}
	q := v.readQuote(r, now)
	// Simulated is decided before any check is added, so no check can
	// make a simulated verdict green even for a moment.
	vd.Simulated = q.simulated || r.Simulated
	if vd.Simulated {
		vd.Facts["simulated"] = "true"
	}

	vd.Add(checkNonce(r, nonce))
	vd.Add(q.check)
	q.record(vd.Facts)
	vd.Add(checkReportData(r, nonce, q))

	info, infoErr := parseInfo(r.Info)
	info.record(vd.Facts)
	vd.Add(checkCompose(info, infoErr, q))
	vd.Add(checkEventLog(r, info, infoErr, q, vd.Facts))
	if c, ok := v.checkGPU(ctx, r, nonce, ro, vd.Simulated); ok {
		vd.Add(c)
	}
	vd.Add(v.cfg.Allow.check(q, info, infoErr))
	if vd.Simulated && vd.State == Green {
		vd.State = Amber // unreachable by Add's rules; kept as the last word
	}
	return vd
}
