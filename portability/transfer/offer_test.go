package transfer

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/attestation"
	"confidant/enclave"
	"confidant/enclave/evidence"
	"confidant/enclave/evidence/evidencetest"
	"confidant/enclave/tdx"
	"confidant/enclave/tdx/tdxtest"
	"confidant/inference/signing"
)

var testSeed = bytes.Repeat([]byte{9}, 32)

// simulatedReporter is the app's own reporter over a simulated enclave.
func simulatedReporter(t *testing.T) *attestation.Reporter {
	t.Helper()
	p, err := enclave.NewSimulated(t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	signers, err := attestation.NewSigners(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return attestation.NewReporter(p, signers, nil)
}

// mintedReporter quotes like a TDX machine whose quotes chain to a test
// root (tdxtest.Signer), with dstack's event log and info.
type mintedReporter struct {
	t      *testing.T
	signer *tdxtest.Signer
}

func (m mintedReporter) BoundReport(_ context.Context, binding, nonce [32]byte) (signing.Report, error) {
	r := evidencetest.MintedReport(m.t, m.signer, signing.Ed25519, hex.EncodeToString(binding[:]), nonce)
	r.NvidiaPayload = "" // a gateway has no GPU
	return r, nil
}

func newNonce() [32]byte {
	var n [32]byte
	rand.Read(n[:])
	return n
}

func TestVerifyOfferSimulated(t *testing.T) {
	ctx := context.Background()
	rep := simulatedReporter(t)
	v := evidence.New(evidence.Config{})
	tests := []struct {
		name        string
		here, there bool
		want        error
	}{
		{"both allow", true, true, nil},
		{"source does not allow", false, true, ErrSimulatedPeer},
		{"destination does not allow", true, false, ErrSimulatedPeer},
		{"neither allows", false, false, ErrSimulatedPeer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, nonce := uuid.New(), newNonce()
			o, err := MakeOffer(ctx, rep, testSeed, id, testOrigin, nonce, time.Now().Add(TTL), tt.there)
			if err != nil {
				t.Fatal(err)
			}
			got, err := VerifyOffer(ctx, v, o, id, testOrigin, nonce, Policy{AllowSimulated: tt.here})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !got.Simulated || got.Verdict.State != evidence.Amber {
				t.Errorf("simulated = %v, state %s: a simulated offer must say so", got.Simulated, got.Verdict.State)
			}
			if tt.want == nil && (len(got.Facts) == 0 || !bytes.Equal(got.PublicKey, mustHex(t, o.PublicKey))) {
				t.Errorf("verification = %+v", got)
			}
		})
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An offer is refused unless its report binds its own key, transfer id,
// origin and our nonce.
func TestVerifyOfferBinding(t *testing.T) {
	ctx := context.Background()
	rep := simulatedReporter(t)
	v := evidence.New(evidence.Config{})
	allow := Policy{AllowSimulated: true}
	id, nonce := uuid.New(), newNonce()
	good, err := MakeOffer(ctx, rep, testSeed, id, testOrigin, nonce, time.Now().Add(TTL), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyOffer(ctx, v, good, id, testOrigin, nonce, allow); err != nil {
		t.Fatalf("the good offer is refused: %v", err)
	}
	otherID := uuid.New()
	otherTransfer, _ := MakeOffer(ctx, rep, testSeed, otherID, testOrigin, nonce, time.Now().Add(TTL), true)
	otherOrigin, _ := MakeOffer(ctx, rep, testSeed, id, "https://evil.example", nonce, time.Now().Add(TTL), true)
	otherSeed, _ := MakeOffer(ctx, rep, bytes.Repeat([]byte{1}, 32), id, testOrigin, nonce, time.Now().Add(TTL), true)

	tests := []struct {
		name   string
		offer  func() Offer
		origin string
		nonce  [32]byte
		want   error
	}{
		{"another key in the offer", func() Offer { o := good; o.PublicKey = otherSeed.PublicKey; return o }, testOrigin, nonce, ErrBindingMismatch},
		{"a report for another key", func() Offer { o := good; o.Report = otherSeed.Report; return o }, testOrigin, nonce, ErrBindingMismatch},
		{"a report for another transfer", func() Offer { o := good; o.Report = otherTransfer.Report; return o }, testOrigin, nonce, ErrBindingMismatch},
		{"another transfer's offer", func() Offer { return otherTransfer }, testOrigin, nonce, ErrBindingMismatch},
		{"a report for another origin", func() Offer { o := good; o.Report = otherOrigin.Report; return o }, testOrigin, nonce, ErrBindingMismatch},
		{"an offer from another origin", func() Offer { return otherOrigin }, testOrigin, nonce, ErrBindingMismatch},
		{"another nonce", func() Offer { return good }, testOrigin, newNonce(), ErrNotVerified},
		{"request_nonce rewritten", func() Offer {
			o, n := good, newNonce()
			o.Report.RequestNonce = hex.EncodeToString(n[:])
			return o
		}, testOrigin, nonce, ErrNotVerified},
		{"no quote", func() Offer { o := good; o.Report.IntelQuote = ""; return o }, testOrigin, nonce, ErrNotVerified},
		{"another suite", func() Offer { o := good; o.AEAD = "ChaCha20Poly1305"; return o }, testOrigin, nonce, ErrBadKey},
		{"a key that is not X25519", func() Offer { o := good; o.PublicKey = "abcd"; return o }, testOrigin, nonce, ErrBadKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifyOffer(ctx, v, tt.offer(), id, tt.origin, tt.nonce, allow)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// A destination on (test-rooted) TDX hardware is accepted without any
// simulated flag; an allowlist, when configured, must name it; a quote
// whose chain cannot be checked is not enough.
func TestVerifyOfferHardware(t *testing.T) {
	ctx := context.Background()
	signer := tdxtest.NewSigner()
	pcs := httptest.NewServer(signer.PCS("UpToDate"))
	t.Cleanup(pcs.Close)
	rep := mintedReporter{t: t, signer: signer}
	m := evidencetest.Measurements(t)
	quotes := evidence.TDXQuotes{Roots: signer.Roots(), Collateral: &tdx.PCSGetter{BaseURL: pcs.URL}}
	allowlist := func(spec string) evidence.Allowlist {
		a, err := evidence.ParseAllowlist(spec)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	tests := []struct {
		name string
		cfg  evidence.Config
		want error
	}{
		{"no allowlist", evidence.Config{Quotes: quotes}, nil},
		{"allowlisted mrtd", evidence.Config{Quotes: quotes, Allow: allowlist("mrtd=" + hex.EncodeToString(m.MRTD[:]))}, nil},
		{"another compose hash pinned", evidence.Config{Quotes: quotes, Allow: allowlist("compose_hash=" + hex.EncodeToString(bytes.Repeat([]byte{0xab}, 32)))}, ErrNotVerified},
		{"chain not checked", evidence.Config{}, ErrNotVerified},
		{"Intel's root only", evidence.Config{Quotes: evidence.TDXQuotes{Collateral: &tdx.PCSGetter{BaseURL: pcs.URL}}}, ErrNotVerified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, nonce := uuid.New(), newNonce()
			o, err := MakeOffer(ctx, rep, testSeed, id, testOrigin, nonce, time.Now().Add(TTL), false)
			if err != nil {
				t.Fatal(err)
			}
			got, err := VerifyOffer(ctx, evidence.New(tt.cfg), o, id, testOrigin, nonce, Policy{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v; checks %+v", err, tt.want, got.Verdict.Checks)
			}
			if got.Simulated {
				t.Error("a hardware offer is called simulated")
			}
			if tt.want == nil && got.Verdict.State != evidence.Green && got.Verdict.State != evidence.Amber {
				t.Errorf("state %s", got.Verdict.State)
			}
		})
	}
}
