package e2e

import (
	"encoding/hex"
	"net/http/httptest"
	"strings"
	"testing"

	"confidant/enclave/evidence"
	"confidant/enclave/evidence/evidencetest"
	"confidant/enclave/tdx"
	"confidant/enclave/tdx/tdxtest"
	"confidant/inference/simbackend"
	"confidant/internal/fakedstack"
	"confidant/internal/testserver"
)

// With trust roots only a test can inject, the app runs on "TDX hardware"
// (a fake dstack agent minting quotes from a test chain) and its backend
// is a "verified H100 node" (quotes from the same chain, a passing verdict
// from a fake NVIDIA verifier, measurements pinned): the shield, each
// answer's badge and the verification page turn green. Nothing a release
// build can be configured with reaches this: the roots come from tdxtest.
func TestGreenWithTestTrustRoots(t *testing.T) {
	signer := tdxtest.NewSigner()
	pcs := httptest.NewServer(signer.PCS("UpToDate"))
	t.Cleanup(pcs.Close)
	nras := evidencetest.NewFakeNRAS(t)
	nras.Set(evidencetest.NRASBehavior{Result: true})
	backend := httptest.NewServer(evidencetest.MintedBackend(t, signer, simbackend.New(simbackend.Options{Seed: "green"})))
	t.Cleanup(backend.Close)
	m := evidencetest.Measurements(t)
	allow, err := evidence.ParseAllowlist("mrtd=" + hex.EncodeToString(m.MRTD[:]) + ",compose_hash=" + evidencetest.EventLogExpected(t).ComposeHash)
	if err != nil {
		t.Fatal(err)
	}
	verifier := evidence.New(evidence.Config{
		Quotes: evidence.TDXQuotes{Roots: signer.Roots(), Collateral: &tdx.PCSGetter{BaseURL: pcs.URL}},
		NRAS:   evidence.NewNRASClient(evidence.NRASConfig{BaseURL: nras.URL()}),
		Allow:  allow,
	})
	e := setup(t, testserver.Options{Verifier: verifier, Env: map[string]string{
		"CONFIDANT_ENCLAVE": "dstack", "DSTACK_SIMULATOR_ENDPOINT": fakedstack.Start(t, signer), "CONFIDANT_BACKEND_URL": backend.URL,
	}})
	tb := e.chatter("gwen")
	tb.send("Is this verified? [[sim:tokens=12]]", "complete")
	if b := tb.waitBadge(); b.State != "green" {
		t.Fatalf("badge = %+v, want green", b)
	}
	if s := tb.text(tid("shield")); !strings.Contains(s, "Verified") {
		t.Errorf("shield says %q, want Verified", s)
	}
	if n := tb.count(`.shield-green`); n != 1 {
		t.Errorf("%d green shields in the header", n)
	}
	for _, scheme := range []string{"light", "dark"} {
		tb.colorScheme(scheme)
		tb.viewShot("shield-conversation-green-" + scheme)
	}
	tb.colorScheme("light")
	tb.visit("/attestation")
	if got := tb.count(`[data-testid="backend-verdict"][data-state="green"]`); got != 1 {
		t.Errorf("%d green backend verdicts on /attestation, want 1", got)
	}
	tb.screenshot("shield-attestation-green-light")
}
