package tdx_test

import (
	"bytes"
	"encoding/binary"
	"encoding/pem"
	"testing"
	"time"

	"github.com/google/go-tdx-guest/testing/testdata"

	"confidant/enclave/tdx"
	"confidant/enclave/tdx/tdxtest"
)

// layout returns where a quote's PCK certificate chain starts and where its
// signature section ends: everything before the chain is covered by a
// signature, a hash binding or a length check.
func layout(t *testing.T, raw []byte) (chainStart, end int) {
	t.Helper()
	bodyEnd := 48 + 584
	if binary.LittleEndian.Uint16(raw) == 5 {
		bodyEnd = 48 + 6 + int(binary.LittleEndian.Uint32(raw[50:]))
	}
	sigStart := bodyEnd + 4
	end = sigStart + int(binary.LittleEndian.Uint32(raw[bodyEnd:]))
	certStart := sigStart + 64 + 64 + 6
	authLen := int(binary.LittleEndian.Uint16(raw[certStart+384+64:]))
	return certStart + 384 + 64 + 2 + authLen + 6, end
}

// Flipping any single byte of a quote's header, body or signature section
// is rejected; in the PCK chain, a sample of every 11th byte.
func TestVerifyRejectsEveryFlippedByte(t *testing.T) {
	signer := tdxtest.NewSigner()
	rd, m := fixedMeasurements()
	tests := []struct {
		name string
		raw  []byte
		opts tdx.Options
	}{
		{"real v4 sample", testdata.RawQuote, tdx.Options{Now: sampleValid}},
		{"real v5 sample", readFile(t, "tdx_v5_trustee.dat"), tdx.Options{Now: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)}},
		{"minted v4", signer.Quote(rd, m), tdx.Options{Roots: signer.Roots()}},
		{"minted v5", signer.QuoteV5(rd, m), tdx.Options{Roots: signer.Roots()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tdx.Verify(tt.raw, tt.opts); err != nil {
				t.Fatalf("unmodified quote: %v", err)
			}
			chainStart, end := layout(t, tt.raw)
			checked := 0
			for off := 0; off < end; off++ {
				if off >= chainStart && (off-chainStart)%11 != 0 {
					continue
				}
				mask := byte(0x01) << (off % 8) // a different bit at each offset
				mutated := bytes.Clone(tt.raw)
				mutated[off] ^= mask
				if res, err := tdx.Verify(mutated, tt.opts); err == nil && !sameCertificates(tt.raw[chainStart:end], mutated[chainStart:end]) {
					t.Fatalf("byte %d ^ %#x accepted: %+v", off, mask, res)
				}
				checked++
			}
			t.Logf("%d mutations of %d-byte quote rejected (chain starts at %d)", checked, end, chainStart)
		})
	}
}

// sameCertificates reports whether two PEM chains hold the same DER bytes.
// A flipped low bit in a base64 character before "=" padding changes only
// unused bits: the certificates, and so what was verified, are unchanged.
func sameCertificates(a, b []byte) bool {
	for {
		ba, ra := pem.Decode(a)
		bb, rb := pem.Decode(b)
		if ba == nil || bb == nil {
			return ba == nil && bb == nil && bytes.Equal(ra, rb)
		}
		if !bytes.Equal(ba.Bytes, bb.Bytes) {
			return false
		}
		a, b = ra, rb
	}
}
