package attestation

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"testing"

	"confidant/enclave"
	"confidant/inference/signing"
)

// A bound report quotes binding ‖ nonce, and names the binding where a
// verifier of the convention looks for the signing identity.
func TestBoundReport(t *testing.T) {
	provider, err := enclave.NewSimulated(t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	signers, err := NewSigners(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	r := NewReporter(provider, signers, nil)
	binding, nonce := [32]byte{9, 8, 7}, [32]byte{1, 2, 3}
	got, err := r.BoundReport(context.Background(), binding, nonce)
	if err != nil {
		t.Fatal(err)
	}
	if got.SigningAlgo != signing.Ed25519 || got.SigningAddress != hex.EncodeToString(binding[:]) || !got.Simulated {
		t.Fatalf("report = %+v", got)
	}
	want, err := got.ExpectedReportData()
	if err != nil {
		t.Fatal(err)
	}
	if [32]byte(want[:32]) != binding || [32]byte(want[32:]) != nonce {
		t.Fatalf("expected report_data %x", want)
	}
	quote, _ := hex.DecodeString(got.IntelQuote)
	if err := provider.VerifyQuote(quote, want); err != nil {
		t.Fatalf("the quote does not bind binding ‖ nonce: %v", err)
	}
	if got.SigningAddress == signers.For(signing.Ed25519).Address() {
		t.Error("the bound report names the app's signing key instead of the binding")
	}
}
