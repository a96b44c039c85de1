//go:build !js

package tdx

import (
	"bytes"
	"crypto/x509"
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/google/go-tdx-guest/testing/testdata"
	"github.com/google/go-tdx-guest/verify"

	"confidant/enclave/tdx/tdxtest"
)

// ownAccepts reports whether this package's own check (the one the browser
// build uses alone) accepts raw.
func ownAccepts(raw []byte, roots *x509.CertPool, now time.Time) bool {
	q, err := Parse(raw)
	if err != nil {
		return false
	}
	_, err = checkQuote(q, roots, now)
	return err == nil
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// guestAccepts reports whether go-tdx-guest accepts raw.
func guestAccepts(raw []byte, roots *x509.CertPool, now time.Time) bool {
	return goTDXGuest(raw, &verify.Options{Now: now, TrustedRoots: roots}) == nil
}

// The own check agrees with go-tdx-guest on the real sample, on minted
// quotes, at times inside and outside the certificates' validity, with the
// right and the wrong roots, and on every single-byte mutation of the
// signed part (and a sample of the certificate chain).
func TestOwnCheckAgreesWithGoTDXGuest(t *testing.T) {
	signer := tdxtest.NewSigner()
	intel := IntelRoots()
	notBefore, notAfter := signer.Validity()
	minted := signer.Quote([64]byte{42}, tdxtest.Measurements{MRTD: [48]byte{1}})
	inSample := time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC)

	type verdicts struct{ accepted, rejected int }
	counts := map[string]*verdicts{}
	agree := func(t *testing.T, label string, raw []byte, roots *x509.CertPool, now time.Time) {
		t.Helper()
		own, guest := ownAccepts(raw, roots, now), guestAccepts(raw, roots, now)
		if own != guest {
			t.Fatalf("%s: own check accepts=%v, go-tdx-guest accepts=%v", label, own, guest)
		}
		c := counts[label]
		if c == nil {
			c = &verdicts{}
			counts[label] = c
		}
		if own {
			c.accepted++
		} else {
			c.rejected++
		}
	}

	cases := []struct {
		name   string
		raw    []byte
		roots  *x509.CertPool
		times  []time.Time
		mutate int // mutate every mutate-th byte of the signed part; 0: none
	}{
		{"sample", testdata.RawQuote, intel, []time.Time{inSample, time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}, 1},
		{"dstack-sample", mustRead(t, "testdata/tdx_v4_dstack_phala.dat"), intel, []time.Time{time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2033, 1, 1, 0, 0, 0, 0, time.UTC)}, 5},
		{"sample-test-roots", testdata.RawQuote, signer.Roots(), []time.Time{inSample}, 0},
		{"minted", minted, signer.Roots(), []time.Time{time.Now(), notBefore.Add(-time.Minute), notAfter.Add(time.Minute)}, 1},
		{"minted-intel-roots", minted, intel, []time.Time{time.Now()}, 0},
	}
	for _, c := range cases {
		for _, now := range c.times {
			agree(t, c.name+"/unmodified", c.raw, c.roots, now)
		}
		if c.mutate == 0 {
			continue // rejected at the root already; mutations add nothing
		}
		now := c.times[0]
		end := 0x27c + int(binary.LittleEndian.Uint32(c.raw[0x278:]))
		for off := 0; off < end; off++ {
			if off%c.mutate != 0 || off > 1300 && off%7 != 0 {
				continue
			}
			mutated := bytes.Clone(c.raw)
			mutated[off] ^= 0x04
			agree(t, c.name+"/mutated", mutated, c.roots, now)
		}
		for _, n := range []int{0, 47, 600, 0x27c, 1000, end - 1} {
			agree(t, c.name+"/truncated", c.raw[:n], c.roots, now)
		}
	}
	for label, c := range counts {
		t.Logf("%-32s accepted %4d, rejected %4d (both verifiers)", label, c.accepted, c.rejected)
	}
	if counts["sample/unmodified"].accepted != 1 || counts["minted/unmodified"].accepted != 1 {
		t.Fatal("the unmodified quotes should each be accepted exactly once (inside validity)")
	}
}
