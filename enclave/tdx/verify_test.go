package tdx_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-tdx-guest/testing/testdata"

	"confidant/enclave/tdx"
	"confidant/enclave/tdx/tdxtest"
)

// The sample's PCK certificate is valid from 2022-09-20T13:20:31Z to
// 2029-09-20T13:20:31Z; the other certificates outlast it.
var (
	sampleValid   = time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC)
	beforeSample  = time.Date(2022, 9, 20, 13, 20, 30, 0, time.UTC)
	afterSamplePK = time.Date(2029, 9, 20, 13, 20, 32, 0, time.UTC)
)

func TestVerify(t *testing.T) {
	signer, other := tdxtest.NewSigner(), tdxtest.NewSigner()
	rd, m := fixedMeasurements()
	minted, mintedV5 := signer.Quote(rd, m), signer.QuoteV5(rd, m)
	v5, dstack := readFile(t, "tdx_v5_trustee.dat"), readFile(t, "tdx_v4_dstack_phala.dat")
	at2025 := time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	notBefore, notAfter := signer.Validity()
	tests := []struct {
		name         string
		raw          []byte
		opts         tdx.Options
		want         error
		wantVerifier string
	}{
		{"real sample, Intel root, inside validity", testdata.RawQuote, tdx.Options{Now: sampleValid}, nil, v4Verifier},
		{"real sample, just before the PCK certificate", testdata.RawQuote, tdx.Options{Now: beforeSample}, tdx.ErrCertExpired, ""},
		{"real sample, just after the PCK certificate", testdata.RawQuote, tdx.Options{Now: afterSamplePK}, tdx.ErrCertExpired, ""},
		{"real sample, test roots only", testdata.RawQuote, tdx.Options{Now: sampleValid, Roots: signer.Roots()}, tdx.ErrUntrustedRoot, ""},
		{"real v5 sample, Intel root", v5, tdx.Options{Now: at2025}, nil, "own"},
		{"real v5 sample, after its PCK certificate", v5, tdx.Options{Now: time.Date(2031, 3, 19, 0, 0, 0, 0, time.UTC)}, tdx.ErrCertExpired, ""},
		{"real v5 sample, test roots only", v5, tdx.Options{Now: at2025, Roots: signer.Roots()}, tdx.ErrUntrustedRoot, ""},
		{"real dstack v4 sample, Intel root", dstack, tdx.Options{Now: at2025}, nil, v4Verifier},
		{"real dstack v4 sample, before its PCK certificate", dstack, tdx.Options{Now: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}, tdx.ErrCertExpired, ""},
		{"minted v4, test roots", minted, tdx.Options{Roots: signer.Roots()}, nil, v4Verifier},
		{"minted v5, test roots", mintedV5, tdx.Options{Roots: signer.Roots()}, nil, "own"},
		{"minted v4, default Intel roots", minted, tdx.Options{}, tdx.ErrUntrustedRoot, ""},
		{"minted v5, default Intel roots", mintedV5, tdx.Options{}, tdx.ErrUntrustedRoot, ""},
		{"minted v4, another signer's roots", minted, tdx.Options{Roots: other.Roots()}, tdx.ErrUntrustedRoot, ""},
		{"minted v4, before the chain", minted, tdx.Options{Roots: signer.Roots(), Now: notBefore.Add(-time.Second)}, tdx.ErrCertExpired, ""},
		{"minted v4, after the chain", minted, tdx.Options{Roots: signer.Roots(), Now: notAfter.Add(time.Second)}, tdx.ErrCertExpired, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tdx.Verify(tt.raw, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify: %v, want %v", err, tt.want)
			}
			if tt.want != nil {
				if res != nil {
					t.Fatalf("failed verification returned a result: %+v", res)
				}
				return
			}
			if res.Verifier != tt.wantVerifier || res.TCBStatus != "" || res.Quote == nil || res.PCKSubject == "" {
				t.Fatalf("result %+v", res)
			}
		})
	}
}

// The error names the certificate and the time, so a person can act on it.
func TestVerifyExpiredSaysWhich(t *testing.T) {
	_, err := tdx.Verify(testdata.RawQuote, tdx.Options{Now: afterSamplePK})
	const want = "tdx: certificate not valid at the verification time: PCK leaf certificate is valid from 2022-09-20T13:20:31Z to 2029-09-20T13:20:31Z, not at 2029-09-20T13:20:32Z"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}
