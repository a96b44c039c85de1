package inference_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"confidant/enclave"
	"confidant/inference"
	"confidant/inference/signing"
	"confidant/inference/simbackend"
)

// TestSignatureMatchesClientBytes checks the whole chain: the text the
// client computes from the bytes it sent and received equals the text the
// backend signed, the signature verifies against the signing address of
// the backend's report, and the report's quote binds that address and our
// nonce.
func TestSignatureMatchesClientBytes(t *testing.T) {
	b := newBackend(t, simbackend.Options{Seed: "signature-test"})
	c := newClient(t, inference.Config{}, b.URL)
	ctx := context.Background()
	for _, algo := range []signing.Algo{signing.ECDSA, signing.Ed25519} {
		var nonce [32]byte
		rand.Read(nonce[:])
		report, raw, err := c.Report(ctx, b.URL, nonce, algo, simbackend.ChatModel)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), report.SigningAddress) || !report.Simulated {
			t.Errorf("raw report %.100s", raw)
		}
		quote, err := hex.DecodeString(report.IntelQuote)
		if err != nil {
			t.Fatal(err)
		}
		rd, err := enclave.ParseSimulatedQuote(quote)
		if err != nil {
			t.Fatal(err)
		}
		id, err := signing.Identity(algo, report.SigningAddress)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := signing.ReportData(id, nonce)
		if rd != want {
			t.Errorf("%s: report_data %x, want address ‖ nonce %x", algo, rd, want)
		}

		for _, mode := range []string{"stream", "complete"} {
			t.Run(string(algo)+"/"+mode, func(t *testing.T) {
				var res inference.Result
				var err error
				if mode == "stream" {
					res, err = c.Stream(ctx, chat("write a little"), func(inference.Delta) error { return nil })
				} else {
					res, err = c.Complete(ctx, chat("write a little"))
				}
				if err != nil {
					t.Fatal(err)
				}
				sig, err := c.CheckSignature(ctx, res, algo, report.SigningAddress)
				if err != nil {
					t.Fatal(err)
				}
				if sig.Text != res.SignedText() {
					t.Errorf("server text %s, client text %s", sig.Text, res.SignedText())
				}
				tampered := res
				tampered.ResponseBytes = append([]byte(nil), res.ResponseBytes...)
				tampered.ResponseBytes[len(tampered.ResponseBytes)/2] ^= 1
				if _, err := c.CheckSignature(ctx, tampered, algo, report.SigningAddress); !errors.Is(err, inference.ErrSignature) {
					t.Errorf("tampered response: %v, want ErrSignature", err)
				}
				other := simbackend.New(simbackend.Options{Seed: "someone else"}).SigningAddress(algo)
				if _, err := c.CheckSignature(ctx, res, algo, other); !errors.Is(err, inference.ErrSignature) {
					t.Errorf("other signer: %v, want ErrSignature", err)
				}
			})
		}
	}
}

func TestSignatureOnlyFromConfiguredBackends(t *testing.T) {
	b := newBackend(t, simbackend.Options{})
	c := newClient(t, inference.Config{APIKey: "k"}, b.URL)
	if _, err := c.Signature(context.Background(), "http://elsewhere.example", "chatcmpl-x", "", signing.ECDSA); !errors.Is(err, inference.ErrConfig) {
		t.Errorf("unknown backend: %v", err)
	}
	if _, _, err := c.Report(context.Background(), "http://elsewhere.example", [32]byte{}, signing.ECDSA, ""); !errors.Is(err, inference.ErrConfig) {
		t.Errorf("unknown backend: %v", err)
	}
}
