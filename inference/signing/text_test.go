package signing

import (
	"errors"
	"strings"
	"testing"
)

func TestParseText(t *testing.T) {
	h1, h2 := strings.Repeat("ab", 32), strings.Repeat("CD", 32)
	tests := []struct {
		name               string
		text               string
		wantModel, wantReq string
		wantResp           string
		wantErr            error
	}{
		{"two parts", h1 + ":" + h2, "", h1, strings.ToLower(h2), nil},
		{"model prefix", "sim-chat:" + h1 + ":" + h2, "sim-chat", h1, strings.ToLower(h2), nil},
		{"one part", h1, "", "", "", ErrMalformed},
		{"four parts", "a:b:" + h1 + ":" + h2, "", "", "", ErrMalformed},
		{"short hash", h1 + ":abcd", "", "", "", ErrMalformed},
		{"not hex", h1 + ":" + strings.Repeat("zz", 32), "", "", "", ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			model, req, resp, err := ParseText(tc.text)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if model != tc.wantModel || req != tc.wantReq || resp != tc.wantResp {
				t.Errorf("got %q %q %q", model, req, resp)
			}
		})
	}
}

func TestMatchText(t *testing.T) {
	req, resp := []byte(`{"a":1}`), []byte(`{"b":2}`)
	text := SignedText(req, resp)
	tests := []struct {
		name      string
		text      string
		req, resp []byte
		wantErr   error
	}{
		{"match", text, req, resp, nil},
		{"model prefix", "m:" + text, req, resp, nil},
		{"request differs", text, []byte(`{"a":2}`), resp, ErrTextMismatch},
		{"response differs", text, req, append(resp, ' '), ErrTextMismatch},
		{"malformed", "x", req, resp, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := MatchText(tc.text, tc.req, tc.resp)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("MatchText = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestReportData(t *testing.T) {
	var nonce [32]byte
	for i := range nonce {
		nonce[i] = byte(i + 1)
	}
	tests := []struct {
		name     string
		identity []byte
		wantErr  error
	}{
		{"address", fill(20, 0xaa), nil},
		{"pubkey", fill(32, 0xbb), nil},
		{"empty", nil, ErrMalformed},
		{"too long", make([]byte, 33), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rd, err := ReportData(tc.identity, nonce)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			for i := range 32 {
				want := byte(0)
				if i < len(tc.identity) {
					want = tc.identity[i]
				}
				if rd[i] != want {
					t.Fatalf("byte %d = %x, want %x", i, rd[i], want)
				}
			}
			if [32]byte(rd[32:]) != nonce {
				t.Error("nonce not in bytes 32-63")
			}
		})
	}
}

func TestReportExpectedReportData(t *testing.T) {
	nonce := strings.Repeat("11", 32)
	tests := []struct {
		name    string
		r       Report
		wantErr error
	}{
		{"ecdsa", Report{SigningAddress: "0x" + strings.Repeat("ab", 20), SigningAlgo: ECDSA, RequestNonce: nonce}, nil},
		{"ed25519", Report{SigningAddress: strings.Repeat("ab", 32), SigningAlgo: Ed25519, RequestNonce: nonce}, nil},
		{"ecdsa with pubkey", Report{SigningAddress: strings.Repeat("ab", 32), SigningAlgo: ECDSA, RequestNonce: nonce}, ErrMalformed},
		{"short nonce", Report{SigningAddress: "0x" + strings.Repeat("ab", 20), SigningAlgo: ECDSA, RequestNonce: "11"}, ErrMalformed},
		{"unknown algo", Report{SigningAddress: "0x" + strings.Repeat("ab", 20), SigningAlgo: "rsa", RequestNonce: nonce}, ErrUnknownAlgo},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.r.ExpectedReportData()
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestParseAlgo(t *testing.T) {
	tests := []struct {
		in      string
		want    Algo
		wantErr error
	}{
		{"", ECDSA, nil},
		{"ecdsa", ECDSA, nil},
		{"ed25519", Ed25519, nil},
		{"ECDSA", "", ErrUnknownAlgo},
		{"rsa", "", ErrUnknownAlgo},
	}
	for _, tc := range tests {
		got, err := ParseAlgo(tc.in)
		if got != tc.want || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
			t.Errorf("ParseAlgo(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func fill(n int, b byte) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}
