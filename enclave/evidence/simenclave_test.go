package evidence_test

import (
	"context"
	"encoding/hex"
	"testing"

	"confidant/enclave"
	"confidant/enclave/evidence"
	"confidant/enclave/evidence/evidencetest"
	"confidant/inference/signing"
)

// TestSimulatedEnclaveReportIsAmber verifies a report made by the app's
// own simulated enclave, as Confidant's gateway report is in development:
// amber and simulated, never red (nothing is inconsistent) and never green.
func TestSimulatedEnclaveReportIsAmber(t *testing.T) {
	ctx := context.Background()
	sim, err := enclave.NewSimulated(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	key := evidencetest.Key(t, "app")
	nonce := [32]byte{0x42}
	rd, err := signing.ReportData(key.Identity(), nonce)
	if err != nil {
		t.Fatal(err)
	}
	q, err := sim.Quote(ctx, rd)
	if err != nil {
		t.Fatal(err)
	}
	info, err := sim.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := signing.Report{
		SigningAddress: key.Address(), SigningAlgo: signing.ECDSA, RequestNonce: hex.EncodeToString(nonce[:]),
		IntelQuote: hex.EncodeToString(q.Raw), EventLog: q.EventLog, Info: info.Raw,
	}
	g := evidence.New(evidence.Config{}).VerifyGateway(ctx, evidence.GatewayAnswer{Gateway: r}, nonce)
	vd := g.Gateway
	if g.State != evidence.Amber || !vd.Simulated {
		t.Fatalf("state %s simulated %v: %+v", g.State, vd.Simulated, vd.Checks)
	}
	for _, c := range vd.Checks {
		if c.Name == "gpu" {
			t.Errorf("the app's report got a gpu check: %+v", c)
		}
		if c.Name == "compose_hash" && c.Status != evidence.Pass {
			t.Errorf("compose_hash: %+v", c)
		}
	}
}
