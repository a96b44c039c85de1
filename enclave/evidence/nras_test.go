package evidence_test

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"confidant/enclave/evidence"
	"confidant/enclave/evidence/evidencetest"
)

func TestNRASClient(t *testing.T) {
	nonce := [32]byte{1, 2, 3}
	f := evidencetest.NewFakeNRAS(t)
	tests := []struct {
		name    string
		b       evidencetest.NRASBehavior
		payload []byte
		wantErr error
		wantMsg string
	}{
		{name: "true verdict ES384", b: evidencetest.NRASBehavior{Result: true}},
		{name: "true verdict RS256", b: evidencetest.NRASBehavior{Result: true, RSA: true}},
		{name: "false verdict", b: evidencetest.NRASBehavior{}, wantErr: evidence.ErrNRASRejected, wantMsg: "overall attestation result is false"},
		{name: "wrong nonce", b: evidencetest.NRASBehavior{Result: true, Nonce: strings.Repeat("ee", 32)}, wantErr: evidence.ErrNRASRejected, wantMsg: "not ours"},
		{name: "bad signature", b: evidencetest.NRASBehavior{Result: true, BadSignature: true}, wantErr: evidence.ErrNRASRejected, wantMsg: "signature"},
		{name: "expired verdict", b: evidencetest.NRASBehavior{Result: true, Expired: true}, wantErr: evidence.ErrNRASRejected, wantMsg: "expired"},
		{name: "service error", b: evidencetest.NRASBehavior{Status: http.StatusServiceUnavailable}, wantErr: evidence.ErrNRASUnavailable, wantMsg: "HTTP 503"},
		{name: "evidence refused", b: evidencetest.NRASBehavior{Result: true}, payload: []byte(`{"nonce":"00","evidence_list":[]}`), wantErr: evidence.ErrNRASRejected, wantMsg: "refused the evidence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.Set(tt.b)
			c := evidence.NewNRASClient(evidence.NRASConfig{BaseURL: f.URL()})
			payload := tt.payload
			if payload == nil {
				payload = evidencetest.GPUPayload(nonce)
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
	c := evidence.NewNRASClient(evidence.NRASConfig{BaseURL: url})
	_, err := c.Attest(context.Background(), evidencetest.GPUPayload([32]byte{}), [32]byte{})
	if !errors.Is(err, evidence.ErrNRASUnavailable) {
		t.Fatalf("err = %v, want ErrNRASUnavailable", err)
	}
}

func TestNRASCachesKeysAndFollowsRotation(t *testing.T) {
	f := evidencetest.NewFakeNRAS(t)
	c := evidence.NewNRASClient(evidence.NRASConfig{BaseURL: f.URL()})
	nonce := [32]byte{9}
	attest := func() {
		t.Helper()
		if _, err := c.Attest(context.Background(), evidencetest.GPUPayload(nonce), nonce); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		attest()
	}
	if n := f.JWKSCalls(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1 (cached)", n)
	}
	f.RotateKey() // a token under a key id the cache lacks fetches the JWKS again
	attest()
	attest()
	if n := f.JWKSCalls(); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2 after one rotation", n)
	}
	if posts := f.Posts(); len(posts) != 5 || posts[0]["arch"] != "HOPPER" || posts[0]["nonce"] != hex.EncodeToString(nonce[:]) {
		t.Errorf("posted %d payloads, first %v", len(posts), posts[0])
	}
}

func TestParseJWKSRejectsBadKeys(t *testing.T) {
	for _, in := range []string{
		`not json`,
		`{"keys":[{"kty":"EC","crv":"P-384","kid":"a","x":"AAAA","y":"AAAA"}]}`,
		`{"keys":[{"kty":"EC","crv":"secp256k1","kid":"a","x":"AAAA","y":"AAAA"}]}`,
		`{"keys":[{"kty":"RSA","kid":"a","n":"!!","e":"AQAB"}]}`,
	} {
		if _, err := evidence.ParseJWKS([]byte(in)); !errors.Is(err, evidence.ErrMalformed) {
			t.Errorf("ParseJWKS(%s) err = %v, want ErrMalformed", in, err)
		}
	}
}
