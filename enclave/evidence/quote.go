package evidence

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-tdx-guest/abi"
	pb "github.com/google/go-tdx-guest/proto/tdx"

	"confidant/enclave"
	"confidant/inference/signing"
)

// quoteResult is what the tdx_quote check learnt from the report's quote.
type quoteResult struct {
	simulated bool       // a simulated quote (never evidence)
	hardware  bool       // a TDX quote whose fields are in facts
	haveRD    bool       // facts.ReportData is the quote's report_data
	verified  bool       // the chain was checked and held
	facts     QuoteFacts // hardware: every field; simulated: report data only
	check     Check
}

// readQuote decodes the report's quote and verifies it with the injected
// QuoteVerifier, or only parses it when there is none.
func (v *Verifier) readQuote(r signing.Report, now time.Time) quoteResult {
	fail := func(format string, a ...any) quoteResult {
		return quoteResult{check: Check{Name: "tdx_quote", Status: Fail, Detail: fmt.Sprintf(format, a...)}}
	}
	if strings.TrimSpace(r.IntelQuote) == "" {
		return fail("the report carries no quote")
	}
	raw, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(r.IntelQuote), "0x"))
	if err != nil {
		return fail("intel_quote is not hex")
	}
	if enclave.IsSimulatedQuote(raw) {
		rd, err := enclave.ParseSimulatedQuote(raw)
		if err != nil {
			res := fail("malformed simulated quote (%d bytes)", len(raw))
			res.simulated = true
			return res
		}
		return quoteResult{
			simulated: true, haveRD: true, facts: QuoteFacts{ReportData: rd},
			check: Check{Name: "tdx_quote", Status: Skipped, Detail: "simulated enclave: no hardware evidence"},
		}
	}
	if v.cfg.Quotes == nil {
		facts, err := ParseQuote(raw)
		if err != nil {
			return fail("not a TDX quote: %v", err)
		}
		return quoteResult{
			hardware: true, haveRD: true, facts: facts,
			check: Check{Name: "tdx_quote", Status: Skipped,
				Detail: "TDX quote parsed, but its signature chain was not checked: this verifier has no Intel quote verifier configured"},
		}
	}
	facts, err := v.cfg.Quotes.VerifyQuote(raw, now)
	if err != nil {
		return fail("TDX quote does not verify: %v", err)
	}
	return quoteResult{hardware: true, haveRD: true, verified: true, facts: facts, check: tcbCheck(facts.TCBStatus, v.cfg.StrictTCB)}
}

// tcbCheck applies the TCB status policy to a quote whose signature chain
// verified:
//   - UpToDate passes.
//   - SWHardeningNeeded, ConfigurationNeeded and
//     ConfigurationAndSWHardeningNeeded pass, naming the status: the
//     platform is patched but Intel advises mitigations in the guest.
//   - OutOfDate and OutOfDateConfigurationNeeded pass with a warning (the
//     convention's reference verifier accepts them, since Intel's TCB
//     recoveries reach cloud hosts late), or fail with Config.StrictTCB.
//   - Revoked and anything unknown fail.
//   - "" (not checked: no collateral) is skipped, so the verdict is amber.
func tcbCheck(status string, strict bool) Check {
	c := Check{Name: "tdx_quote"}
	const chain = "signature chain verifies to the trusted root (Intel's SGX root CA)"
	switch status {
	case "":
		c.Status, c.Detail = Skipped, chain+"; TCB status not checked (no Intel collateral)"
	case "UpToDate":
		c.Status, c.Detail = Pass, chain+"; TCB status UpToDate"
	case "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded":
		c.Status, c.Detail = Pass, chain+"; TCB status "+status+" (patched; Intel advises mitigations in the guest)"
	case "OutOfDate", "OutOfDateConfigurationNeeded":
		c.Status, c.Detail = Pass, chain+"; TCB status "+status+": the platform lacks Intel's latest microcode or firmware fixes (accepted, as the reference verifier does)"
		if strict {
			c.Status, c.Detail = Fail, chain+", but TCB status is "+status+": the platform lacks Intel's latest microcode or firmware fixes"
		}
	case "Revoked":
		c.Status, c.Detail = Fail, "the platform's TCB is Revoked by Intel"
	default:
		c.Status, c.Detail = Fail, fmt.Sprintf("unknown TCB status %q", status)
	}
	return c
}

// ParseQuote reads the fields of a TDX v4 quote without checking its
// signature chain. Its answer proves nothing on its own.
func ParseQuote(raw []byte) (QuoteFacts, error) {
	parsed, err := abi.QuoteToProto(raw)
	if err != nil {
		return QuoteFacts{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	q, ok := parsed.(*pb.QuoteV4)
	if !ok {
		return QuoteFacts{}, fmt.Errorf("%w: unsupported quote type %T", ErrMalformed, parsed)
	}
	body := q.GetTdQuoteBody()
	var f QuoteFacts
	if len(body.GetReportData()) != 64 || len(body.GetRtmrs()) != 4 {
		return f, fmt.Errorf("%w: quote body has the wrong shape", ErrMalformed)
	}
	copy(f.ReportData[:], body.GetReportData())
	f.MRTD = body.GetMrTd()
	f.MRConfigID = body.GetMrConfigId()
	for i, m := range body.GetRtmrs() {
		f.RTMRs[i] = m
	}
	return f, nil
}

// record adds the quote's measurements to facts.
func (q quoteResult) record(facts map[string]string) {
	switch {
	case q.simulated:
		facts["quote"] = "simulated"
	case q.hardware:
		facts["quote"] = "tdx"
		facts["mrtd"] = hex.EncodeToString(q.facts.MRTD)
		facts["mr_config_id"] = hex.EncodeToString(q.facts.MRConfigID)
		for i, m := range q.facts.RTMRs {
			facts[fmt.Sprintf("rtmr%d", i)] = hex.EncodeToString(m)
		}
		if q.verified {
			facts["tcb_status"] = q.facts.TCBStatus
			if q.facts.TCBStatus == "" {
				facts["tcb_status"] = "not checked"
			}
		}
	}
}

// checkNonce checks that the report answers our nonce.
func checkNonce(r signing.Report, nonce [32]byte) Check {
	c := Check{Name: "nonce"}
	got, err := signing.ParseNonce(r.RequestNonce)
	switch {
	case err != nil:
		c.Status, c.Detail = Fail, "request_nonce is not 32 bytes of hex"
	case got != nonce:
		c.Status, c.Detail = Fail, fmt.Sprintf("the report answers nonce %x, not ours (%x): it may be a replay", got, nonce)
	default:
		c.Status, c.Detail = Pass, "the report answers our fresh nonce"
	}
	return c
}

// checkReportData checks that the quote binds the report's signing key and
// our nonce: report_data = identity right-padded to 32 bytes ‖ nonce.
func checkReportData(r signing.Report, nonce [32]byte, q quoteResult) Check {
	c := Check{Name: "report_data"}
	if !q.haveRD {
		c.Status, c.Detail = Skipped, "no readable quote to take report_data from"
		return c
	}
	algo, err := signing.ParseAlgo(string(r.SigningAlgo))
	if err != nil {
		c.Status, c.Detail = Fail, fmt.Sprintf("unknown signing_algo %q", r.SigningAlgo)
		return c
	}
	id, err := signing.Identity(algo, r.SigningAddress)
	if err != nil {
		c.Status, c.Detail = Fail, fmt.Sprintf("signing_address is not a valid %s identity", algo)
		return c
	}
	want, err := signing.ReportData(id, nonce)
	if err != nil {
		c.Status, c.Detail = Fail, "signing_address cannot go into report_data"
		return c
	}
	got := q.facts.ReportData
	switch {
	case [32]byte(got[:32]) != [32]byte(want[:32]):
		c.Status, c.Detail = Fail, fmt.Sprintf("the quote binds another signing key (report_data[0:32] = %x), not signing_address %s", got[:32], r.SigningAddress)
	case [32]byte(got[32:]) != [32]byte(want[32:]):
		c.Status, c.Detail = Fail, fmt.Sprintf("the quote binds nonce %x, not ours", got[32:])
	default:
		c.Status, c.Detail = Pass, fmt.Sprintf("the quote binds signing_address %s (%s) and our nonce", r.SigningAddress, algo)
	}
	return c
}
