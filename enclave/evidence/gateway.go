package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"confidant/inference/signing"
)

// GatewayAnswer is a gateway's /v1/attestation/report answer: its own
// report and the reports of the inference nodes behind it, all bound to
// the same nonce.
type GatewayAnswer struct {
	Gateway signing.Report   `json:"gateway_attestation"`
	Models  []signing.Report `json:"model_attestations"`
}

// GatewayVerdict is the verdict on a gateway answer: one Verdict per
// report, and the worst of their states.
type GatewayVerdict struct {
	State     State     `json:"state"`
	Simulated bool      `json:"simulated"` // some report is simulated
	Gateway   Verdict   `json:"gateway"`
	Models    []Verdict `json:"models"`
}

// VerifyGateway verifies the gateway's report (GPU evidence is checked
// when present, not required) and every model report (GPU evidence
// expected) against nonce.
func (v *Verifier) VerifyGateway(ctx context.Context, a GatewayAnswer, nonce [32]byte) GatewayVerdict {
	out := GatewayVerdict{Gateway: v.verify(ctx, a.Gateway, nonce, roleGateway)}
	states := []State{out.Gateway.State}
	out.Simulated = out.Gateway.Simulated
	for _, r := range a.Models {
		vd := v.verify(ctx, r, nonce, roleNode)
		out.Models = append(out.Models, vd)
		states = append(states, vd.State)
		out.Simulated = out.Simulated || vd.Simulated
	}
	out.State = Worst(states...)
	return out
}

// Failed returns the first failed check of any report, and which report
// it is in ("gateway" or "model N").
func (g GatewayVerdict) Failed() (string, Check, bool) {
	if c, ok := g.Gateway.Failed(); ok {
		return "gateway", c, true
	}
	for i, m := range g.Models {
		if c, ok := m.Failed(); ok {
			return fmt.Sprintf("model %d", i+1), c, true
		}
	}
	return "", Check{}, false
}

// ParseAnswer decodes a /v1/attestation/report answer: a gateway answer
// (gateway is true) or one node's report (returned as the only model).
// Each report's event_log may be a JSON string or an array.
func ParseAnswer(data []byte) (a GatewayAnswer, gateway bool, err error) {
	var probe struct {
		Gateway json.RawMessage   `json:"gateway_attestation"`
		Models  []json.RawMessage `json:"model_attestations"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return a, false, fmt.Errorf("%w: the answer is not a JSON object", ErrNotReport)
	}
	if len(probe.Gateway) == 0 {
		r, err := ParseReport(data)
		if err != nil {
			return a, false, err
		}
		return GatewayAnswer{Models: []signing.Report{r}}, false, nil
	}
	if a.Gateway, err = ParseReport(probe.Gateway); err != nil {
		return a, true, fmt.Errorf("gateway_attestation: %w", err)
	}
	for i, m := range probe.Models {
		r, err := ParseReport(m)
		if err != nil {
			return a, true, fmt.Errorf("model_attestations[%d]: %w", i, err)
		}
		a.Models = append(a.Models, r)
	}
	return a, true, nil
}

// ParseReport decodes one report, accepting event_log as a JSON string or
// an array (kept as its JSON text).
func ParseReport(data []byte) (signing.Report, error) {
	var wire struct {
		signing.Report
		EventLog json.RawMessage `json:"event_log"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return signing.Report{}, fmt.Errorf("%w: the report is not the expected JSON object", ErrNotReport)
	}
	r := wire.Report
	if raw := bytes.TrimSpace(wire.EventLog); len(raw) > 0 && string(raw) != "null" {
		r.EventLog = string(unquoteJSON(raw))
	}
	if r.IntelQuote == "" && r.SigningAddress == "" {
		return r, fmt.Errorf("%w: no intel_quote or signing_address", ErrNotReport)
	}
	return r, nil
}
