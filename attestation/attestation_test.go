package attestation

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"confidant/enclave"
	"confidant/inference/signing"
)

// signerGolden pins the key derivation: a change would move every
// deployment's signing address on upgrade.
type signerGolden struct {
	Seed    string `json:"seed"`
	ECDSA   string `json:"ecdsa_address"`
	Ed25519 string `json:"ed25519_address"`
}

func TestSignersGolden(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "signers.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g signerGolden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	seed, _ := hex.DecodeString(g.Seed)
	s, err := NewSigners(seed)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.For(signing.ECDSA).Address(); got != g.ECDSA {
		t.Errorf("ecdsa address = %s, want %s", got, g.ECDSA)
	}
	if got := s.For(signing.Ed25519).Address(); got != g.Ed25519 {
		t.Errorf("ed25519 address = %s, want %s", got, g.Ed25519)
	}
	other := bytes.Clone(seed)
	other[0] ^= 1
	o, _ := NewSigners(other)
	if o.For(signing.ECDSA).Address() == g.ECDSA || o.For(signing.Ed25519).Address() == g.Ed25519 {
		t.Error("another seed gives the same keys")
	}
	if _, err := NewSigners(seed[:16]); err == nil {
		t.Error("a short seed was accepted")
	}
}

type fixedReports []json.RawMessage

func (f fixedReports) Reports(context.Context, [32]byte, signing.Algo) []json.RawMessage { return f }

func TestReportBindsKeyAndNonce(t *testing.T) {
	provider, err := enclave.NewSimulated(t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	signers, err := NewSigners(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	backend := json.RawMessage(`{"signing_address":"0xabc"}`)
	r := NewReporter(provider, signers, fixedReports{backend})
	nonce := [32]byte{1, 2, 3}
	for _, algo := range []signing.Algo{signing.ECDSA, signing.Ed25519} {
		got, err := r.Report(context.Background(), nonce, algo)
		if err != nil {
			t.Fatal(err)
		}
		g := got.GatewayAttestation
		if g.SigningAlgo != algo || g.SigningAddress != signers.For(algo).Address() || !g.Simulated {
			t.Errorf("%s: report = %+v", algo, g)
		}
		quote, _ := hex.DecodeString(g.IntelQuote)
		rd, err := enclave.ParseSimulatedQuote(quote)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := signing.ReportData(signers.For(algo).Identity(), nonce)
		if rd != want {
			t.Errorf("%s: report_data = %x, want %x", algo, rd, want)
		}
		if err := provider.VerifyQuote(quote, want); err != nil {
			t.Errorf("%s: the simulated enclave does not vouch for its quote: %v", algo, err)
		}
		if len(got.ModelAttestations) != 1 || !bytes.Equal(got.ModelAttestations[0], backend) {
			t.Errorf("%s: model attestations = %s", algo, got.ModelAttestations)
		}
	}
}

func TestResponseHasher(t *testing.T) {
	h := NewResponseHasher([]byte(`{"q":1}`))
	h.Write([]byte(`{"a":`))
	h.Write([]byte(`2}`))
	if err := signing.MatchText(h.Text(), []byte(`{"q":1}`), []byte(`{"a":2}`)); err != nil {
		t.Error(err)
	}
	if err := signing.MatchText(h.Text(), []byte(`{"q":1}`), []byte(`{"a":3}`)); err == nil {
		t.Error("other response bytes match")
	}
}
