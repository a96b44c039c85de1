package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"confidant/inference/signing"
)

// gpuPayload is the report's nvidia_payload.
type gpuPayload struct {
	Nonce        string            `json:"nonce"`
	EvidenceList []json.RawMessage `json:"evidence_list"`
	Arch         string            `json:"arch"`
	Simulated    bool              `json:"simulated"`
}

// checkGPU checks the GPU evidence: its nonce must be ours, and NVIDIA's
// verifier must sign a passing verdict for it. Evidence in a simulated
// report is still sent to NVIDIA when there is some: a refusal is a
// failure, a pass cannot make the simulated verdict green. ok is false when the check
// does not apply (a gateway report without GPU evidence).
func (v *Verifier) checkGPU(ctx context.Context, r signing.Report, nonce [32]byte, ro role, simulated bool) (Check, bool) {
	c := Check{Name: "gpu", Status: Fail}
	raw := strings.TrimSpace(r.NvidiaPayload)
	if raw == "" {
		if ro == roleGateway {
			return c, false
		}
		c.Status, c.Detail = Skipped, "the report carries no GPU evidence"
		return c, true
	}
	var p gpuPayload
	if err := json.Unmarshal(unquoteJSON([]byte(raw)), &p); err != nil {
		c.Detail = "nvidia_payload is not a JSON object"
		return c, true
	}
	got, err := signing.ParseNonce(p.Nonce)
	switch {
	case err != nil:
		c.Detail = "the GPU evidence's nonce is not 32 bytes of hex"
		return c, true
	case got != nonce:
		c.Detail = fmt.Sprintf("the GPU evidence answers nonce %x, not ours: it may be a replay", got)
		return c, true
	case len(p.EvidenceList) == 0 && (simulated || p.Simulated):
		c.Status, c.Detail = Skipped, "simulated GPU: no hardware evidence (its nonce is ours)"
		return c, true
	case len(p.EvidenceList) == 0:
		c.Detail = "the GPU payload carries no evidence"
		return c, true
	case v.cfg.NRAS == nil:
		c.Status, c.Detail = Skipped, "the GPU evidence answers our nonce, but NVIDIA's verdict was not fetched (no route to NVIDIA's verifier configured)"
		return c, true
	}
	_, err = v.cfg.NRAS.Attest(ctx, unquoteJSON([]byte(raw)), nonce)
	switch {
	case errors.Is(err, ErrNRASUnavailable):
		c.Status, c.Detail = Skipped, "the GPU evidence answers our nonce, but NVIDIA's verifier could not be reached: "+strings.TrimPrefix(err.Error(), ErrNRASUnavailable.Error()+": ")
	case err != nil:
		c.Detail = "NVIDIA's verifier: " + strings.TrimPrefix(err.Error(), ErrNRASRejected.Error()+": ")
	default:
		c.Status = Pass
		c.Detail = fmt.Sprintf("NVIDIA's verifier signed a passing verdict for our nonce (%d GPU evidence, arch %s)", len(p.EvidenceList), firstNonEmpty(p.Arch, "unknown"))
	}
	return c, true
}
