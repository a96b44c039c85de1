//go:build !js

package tdx_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	testcases "github.com/google/go-tdx-guest/testing"
	"github.com/google/go-tdx-guest/testing/testdata"

	"confidant/enclave/tdx"
	"confidant/enclave/tdx/tdxtest"
)

// intelSamplePCS serves go-tdx-guest's recorded Intel PCS responses (TCB
// info, QE identity, PCK CRL, root CRL, with their issuer-chain headers)
// at the same paths, and records which paths were asked for.
func intelSamplePCS(t *testing.T) (base string, asked func() []string) {
	t.Helper()
	byURI := map[string]testcases.HTTPResponse{}
	for raw, resp := range testcases.TestGetter.Responses {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		byURI[u.RequestURI()] = resp
	}
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Path)
		mu.Unlock()
		resp, ok := byURI[r.URL.RequestURI()]
		if !ok {
			http.NotFound(w, r)
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.Write(resp.Body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// go-tdx-guest's recorded collateral is fetched through the fake, its
// signatures, issuer chains, CRLs and dates check out, but its TCB levels
// were updated after the sample quote was taken, so no level matches the
// sample platform (go-tdx-guest's own test expects the same).
func TestCollateralIntelSample(t *testing.T) {
	base, asked := intelSamplePCS(t)
	getter := &tdx.PCSGetter{BaseURL: base}

	res, err := tdx.Verify(testdata.RawQuote, tdx.Options{Now: sampleValid, Collateral: getter})
	if !errors.Is(err, tdx.ErrTCBStatus) || !strings.Contains(err.Error(), "no matching TCB level") || res != nil {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	want := []string{"/tdx/certification/v4/tcb", "/tdx/certification/v4/qe/identity", "/sgx/certification/v4/pckcrl", "/IntelSGXRootCA.der"}
	if got := asked(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("fetched %v, want %v", got, want)
	}

	// A year later the recorded TCB info is past its nextUpdate.
	_, err = tdx.Verify(testdata.RawQuote, tdx.Options{Now: sampleValid.AddDate(1, 0, 0), Collateral: getter})
	if !errors.Is(err, tdx.ErrCollateral) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired collateral: %v", err)
	}
}

func TestCollateralTCBStatus(t *testing.T) {
	signer := tdxtest.NewSigner()
	rd, m := fixedMeasurements()
	quote := signer.Quote(rd, m)
	tests := []struct {
		name       string
		handler    http.Handler
		raw        []byte
		wantErr    error
		wantStatus string
	}{
		{"up to date", signer.PCS("UpToDate"), quote, nil, "UpToDate"},
		{"out of date", signer.PCS("OutOfDate"), quote, tdx.ErrTCBStatus, "OutOfDate"},
		{"revoked", signer.PCS("Revoked"), quote, tdx.ErrTCBStatus, "Revoked"},
		{"PCS failing", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }), quote, tdx.ErrCollateral, ""},
		{"another signer's collateral", tdxtest.NewSigner().PCS("UpToDate"), quote, tdx.ErrCollateral, ""},
		{"version 5 quote", signer.PCS("UpToDate"), signer.QuoteV5(rd, m), tdx.ErrCollateral, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			res, err := tdx.Verify(tt.raw, tdx.Options{Roots: signer.Roots(), Collateral: &tdx.PCSGetter{BaseURL: srv.URL}})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify: %v, want %v", err, tt.wantErr)
			}
			if got := ""; res != nil {
				got = res.TCBStatus
				if got != tt.wantStatus {
					t.Fatalf("TCB status %q, want %q", got, tt.wantStatus)
				}
			} else if tt.wantStatus != "" {
				t.Fatalf("no result; want status %q", tt.wantStatus)
			}
		})
	}
}

func TestPCSGetterRewrites(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.RequestURI())
		w.Header().Set("X-Test", "1")
		w.Write([]byte("body"))
	}))
	defer srv.Close()
	g := &tdx.PCSGetter{BaseURL: srv.URL + "/", Timeout: 5 * time.Second}
	header, body, err := g.Get("https://api.trustedservices.intel.com/tdx/certification/v4/tcb?fmspc=50806f000000")
	if err != nil || string(body) != "body" || header["X-Test"][0] != "1" {
		t.Fatalf("Get: %v %q %v", err, body, header)
	}
	if _, _, err := g.Get("https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"); err != nil {
		t.Fatal(err)
	}
	if want := "/tdx/certification/v4/tcb?fmspc=50806f000000 /IntelSGXRootCA.der"; strings.Join(got, " ") != want {
		t.Fatalf("requested %v", got)
	}
	if _, _, err := g.Get("https://example.org/tcb"); err == nil {
		t.Fatal("a URL off Intel's hosts was fetched")
	}
}
