// Package evidence verifies attestation evidence: Intel TDX quotes, dstack
// event logs and app-compose hashes, NVIDIA GPU evidence, and whole
// attestation reports in the private-inference convention (DESIGN.md,
// "Attestation and the shield"). Its result is a Verdict: one Check per
// property, and a State that is green only when every check ran on real
// hardware and passed.
package evidence

import "time"

// State is the colour of the shield.
type State string

const (
	// Green: real TEE, every check ran and passed.
	Green State = "green"
	// Amber: nothing failed, but the evidence is simulated or a check could
	// not run (for example no route to NVIDIA's verifier).
	Amber State = "amber"
	// Red: a check failed; no user data may be sent.
	Red State = "red"
)

// Status is the outcome of one check.
type Status string

const (
	Pass    Status = "pass"    // checked and correct
	Fail    Status = "fail"    // checked and wrong
	Skipped Status = "skipped" // could not run (simulated evidence, no network, not configured)
)

// Check is one verified property, worded for a person.
type Check struct {
	Name   string `json:"name"`   // short id, e.g. "tdx_quote", "report_data", "compose_hash"
	Status Status `json:"status"` // pass, fail or skipped
	Detail string `json:"detail"` // what was found, or why it failed or could not run
}

// Verdict is the result of verifying one attestation report.
type Verdict struct {
	State          State     `json:"state"`
	Simulated      bool      `json:"simulated"` // the evidence is simulated (never green)
	SigningAddress string    `json:"signing_address,omitempty"`
	SigningAlgo    string    `json:"signing_algo,omitempty"`
	Checks         []Check   `json:"checks"`
	VerifiedAt     time.Time `json:"verified_at"`
	// Facts holds what the evidence shows (MRTD, RTMRs, compose hash, app
	// id, image digests, TCB status…), hex or text, for the human page.
	Facts map[string]string `json:"facts,omitempty"`
}

// Add appends a check and lowers the state to what it allows.
func (v *Verdict) Add(c Check) {
	v.Checks = append(v.Checks, c)
	v.State = v.stateWith(c.Status)
}

// stateWith returns the state after adding a check with status s: a
// failure makes it red, a skipped check makes a green verdict amber.
func (v *Verdict) stateWith(s Status) State {
	switch {
	case s == Fail || v.State == Red:
		return Red
	case s == Skipped || v.State == Amber || v.Simulated:
		return Amber
	default:
		return Green
	}
}

// Failed returns the first failed check, if any: the reason a person sees.
func (v Verdict) Failed() (Check, bool) {
	for _, c := range v.Checks {
		if c.Status == Fail {
			return c, true
		}
	}
	return Check{}, false
}

// Worst returns the least trustworthy of states: red over amber over green.
func Worst(states ...State) State {
	out := Green
	for _, s := range states {
		switch {
		case s == Red:
			return Red
		case s == Amber || s == "":
			out = Amber
		}
	}
	return out
}
