package evidence_test

import (
	"context"
	"encoding/json"
	"testing"

	"confidant/enclave/evidence"
	"confidant/enclave/evidence/evidencetest"
	"confidant/inference/signing"
)

// FuzzVerifyAnswer feeds arbitrary answers through ParseAnswer and the
// verifier: nothing may panic, and without a quote verifier nothing may
// be green.
func FuzzVerifyAnswer(f *testing.F) {
	nonce := [32]byte{0xa5}
	hw := evidencetest.HardwareReport(f, evidencetest.Key(f, "fuzz"), nonce)
	single, _ := json.Marshal(hw)
	gw, _ := json.Marshal(evidence.GatewayAnswer{Gateway: hw, Models: []signing.Report{hw}})
	for _, seed := range [][]byte{single, gw, []byte(`{}`), []byte(`{"gateway_attestation":{"intel_quote":"00"}}`), []byte(`{"intel_quote":"434f4e464944414e54","info":"{\"tcb_info\":\"[]\"}"}`)} {
		f.Add(seed)
	}
	v := evidence.New(evidence.Config{})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, gateway, err := evidence.ParseAnswer(data)
		if err != nil {
			return
		}
		if gateway {
			if g := v.VerifyGateway(context.Background(), a, nonce); g.State == evidence.Green {
				t.Fatalf("green without a quote verifier: %s", data)
			}
			return
		}
		if vd := v.VerifyReport(context.Background(), a.Models[0], nonce); vd.State == evidence.Green {
			t.Fatalf("green without a quote verifier: %s", data)
		}
	})
}
