package evidence_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http/httptest"
	"testing"
	"time"

	"confidant/enclave/evidence"
	"confidant/enclave/evidence/evidencetest"
	"confidant/enclave/tdx"
	"confidant/enclave/tdx/tdxtest"
	"confidant/inference/signing"
)

// A report whose quote is minted by a test chain is green only when that
// chain's root is trusted; with Intel's root (the default) the quote is
// refused and the verdict red.
func TestTDXQuotesGreenOnlyWithInjectedRoots(t *testing.T) {
	signer := tdxtest.NewSigner()
	key := evidencetest.Key(t, "minted")
	nras := evidencetest.NewFakeNRAS(t)
	pcs := httptest.NewServer(signer.PCS("UpToDate"))
	t.Cleanup(pcs.Close)
	revoked := httptest.NewServer(signer.PCS("Revoked"))
	t.Cleanup(revoked.Close)
	m := evidencetest.Measurements(t)
	allow, err := evidence.ParseAllowlist("mrtd=" + hex.EncodeToString(m.MRTD[:]) + ",rtmr3=" + hex.EncodeToString(m.RTMRs[3][:]))
	if err != nil {
		t.Fatal(err)
	}
	collateral := &tdx.PCSGetter{BaseURL: pcs.URL}
	var nonce [32]byte
	rand.Read(nonce[:])
	report := evidencetest.MintedReport(t, signer, signing.ECDSA, key.Address(), nonce)
	nrasClient := func() *evidence.NRASClient {
		return evidence.NewNRASClient(evidence.NRASConfig{BaseURL: nras.URL()})
	}
	_, notAfter := signer.Validity()
	tests := []struct {
		name   string
		quotes evidence.TDXQuotes
		now    time.Time
		want   evidence.State
	}{
		{"test root trusted", evidence.TDXQuotes{Roots: signer.Roots(), Collateral: collateral}, time.Now(), evidence.Green},
		{"no collateral: TCB unchecked", evidence.TDXQuotes{Roots: signer.Roots()}, time.Now(), evidence.Amber},
		{"revoked platform", evidence.TDXQuotes{Roots: signer.Roots(), Collateral: &tdx.PCSGetter{BaseURL: revoked.URL}}, time.Now(), evidence.Red},
		{"Intel's root", evidence.TDXQuotes{Collateral: collateral}, time.Now(), evidence.Red},
		{"after the chain expired", evidence.TDXQuotes{Roots: signer.Roots()}, notAfter.Add(time.Hour), evidence.Red},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := evidence.New(evidence.Config{Quotes: tt.quotes, NRAS: nrasClient(), Allow: allow, Now: func() time.Time { return tt.now }})
			got := v.VerifyReport(context.Background(), report, nonce)
			if got.State != tt.want {
				t.Fatalf("state %s, want %s; checks %+v", got.State, tt.want, got.Checks)
			}
			if tt.want == evidence.Red {
				if c, _ := got.Failed(); c.Name != "tdx_quote" {
					t.Errorf("failed on %s (%s), want tdx_quote", c.Name, c.Detail)
				}
			}
		})
	}
}
