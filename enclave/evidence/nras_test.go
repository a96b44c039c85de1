package evidence

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func gpuPayloadFor(nonce [32]byte) []byte {
	return []byte(`{"nonce":"` + hex.EncodeToString(nonce[:]) + `","evidence_list":[{"certificate":"MIIB-test-cert","evidence":"EvidenceBlob=="}],"arch":"HOPPER"}`)
}

func TestNRASClient(t *testing.T) {
	otherKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	nonce := [32]byte{1, 2, 3}
	tests := []struct {
		name    string
		setup   func(f *fakeNRAS)
		payload []byte
		wantErr error
		wantMsg string
	}{
		{name: "true verdict ES384"},
		{name: "true verdict RS256", setup: func(f *fakeNRAS) { f.useRSA = true }},
		{name: "false verdict", setup: func(f *fakeNRAS) { f.result = false }, wantErr: ErrNRASRejected, wantMsg: "overall attestation result is false"},
		{name: "wrong nonce", setup: func(f *fakeNRAS) { f.nonce = strings.Repeat("ee", 32) }, wantErr: ErrNRASRejected, wantMsg: "not ours"},
		{name: "bad signature", setup: func(f *fakeNRAS) { f.signer = otherKey }, wantErr: ErrNRASRejected, wantMsg: "signature"},
		{name: "expired verdict", setup: func(f *fakeNRAS) { f.expired = true }, wantErr: ErrNRASRejected, wantMsg: "expired"},
		{name: "service error", setup: func(f *fakeNRAS) { f.status = http.StatusServiceUnavailable }, wantErr: ErrNRASUnavailable, wantMsg: "HTTP 503"},
		{name: "evidence refused", payload: []byte(`{"nonce":"00","evidence_list":[]}`), wantErr: ErrNRASRejected, wantMsg: "refused the evidence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeNRAS(t)
			if tt.setup != nil {
				f.set(tt.setup)
			}
			c := NewNRASClient(NRASConfig{BaseURL: f.srv.URL})
			payload := tt.payload
			if payload == nil {
				payload = gpuPayloadFor(nonce)
			}
			v, err := c.Attest(context.Background(), payload, nonce)
			if tt.wantErr == nil {
				if err != nil || !v.Result || v.Nonce != hex.EncodeToString(nonce[:]) || v.Token == "" {
					t.Fatalf("Attest = %+v, %v", v, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

func TestNRASUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	c := NewNRASClient(NRASConfig{BaseURL: url})
	_, err := c.Attest(context.Background(), gpuPayloadFor([32]byte{}), [32]byte{})
	if !errors.Is(err, ErrNRASUnavailable) {
		t.Fatalf("err = %v, want ErrNRASUnavailable", err)
	}
}

func TestNRASCachesKeys(t *testing.T) {
	f := newFakeNRAS(t)
	c := NewNRASClient(NRASConfig{BaseURL: f.srv.URL})
	nonce := [32]byte{9}
	for range 3 {
		if _, err := c.Attest(context.Background(), gpuPayloadFor(nonce), nonce); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.jwksCalls.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1 (cached)", n)
	}
	// A token under a key id the cache lacks fetches the JWKS again.
	f.set(func(f *fakeNRAS) { f.useRSA = true })
	c.mu.Lock()
	delete(c.keys, "nv-rsa-1")
	c.mu.Unlock()
	if _, err := c.Attest(context.Background(), gpuPayloadFor(nonce), nonce); err != nil {
		t.Fatal(err)
	}
	if n := f.jwksCalls.Load(); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2 after an unknown kid", n)
	}
}

func TestParseJWKSRejectsBadKeys(t *testing.T) {
	for _, in := range []string{
		`not json`,
		`{"keys":[{"kty":"EC","crv":"P-384","kid":"a","x":"AAAA","y":"AAAA"}]}`,
		`{"keys":[{"kty":"EC","crv":"secp256k1","kid":"a","x":"AAAA","y":"AAAA"}]}`,
		`{"keys":[{"kty":"RSA","kid":"a","n":"!!","e":"AQAB"}]}`,
	} {
		if _, err := ParseJWKS([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseJWKS(%s) err = %v, want ErrMalformed", in, err)
		}
	}
}
