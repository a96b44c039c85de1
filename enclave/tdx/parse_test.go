package tdx_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-tdx-guest/testing/testdata"

	"confidant/enclave"
	"confidant/enclave/tdx"
	"confidant/enclave/tdx/tdxtest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// fixedMeasurements are the measurements of the minted golden quotes.
func fixedMeasurements() (rd [64]byte, m tdxtest.Measurements) {
	for i := range rd {
		rd[i] = byte(i)
	}
	m.MRTD[0], m.MRConfigID[0] = 0xaa, 0x01
	for i := range m.RTMRs {
		m.RTMRs[i][47] = byte(0x10 + i)
	}
	return rd, m
}

func TestParseGolden(t *testing.T) {
	rd, m := fixedMeasurements()
	signer := tdxtest.NewSigner()
	tests := []struct {
		name   string
		raw    []byte
		golden string
	}{
		{"real v4 sample (go-tdx-guest)", testdata.RawQuote, "sample_v4.json"},
		{"real v5 sample (trustee)", readFile(t, "tdx_v5_trustee.dat"), "tdx_v5_trustee.json"},
		{"real v4 dstack sample (Phala)", readFile(t, "tdx_v4_dstack_phala.dat"), "tdx_v4_dstack_phala.json"},
		{"minted v4", signer.Quote(rd, m), "minted_v4.json"},
		{"minted v5 TDX 1.5 body", signer.QuoteV5(rd, m), "minted_v5.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := tdx.Parse(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(q, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("parsed fields differ from %s:\n%s", path, got)
			}
		})
	}
}

// readFile returns testdata/name.
func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The published fields of the real v5 sample.
func TestParseV5Sample(t *testing.T) {
	q, err := tdx.Parse(readFile(t, "tdx_v5_trustee.dat"))
	if err != nil {
		t.Fatal(err)
	}
	const mrtd = "dfba221b48a22af8511542ee796603f37382800840dcd978703909bf8e64d4c8a1e9de86e7c9638bfcba422f3886400a"
	const rd = "6d6ab13b046cff606ac0074be13981b07b6325dba10b5facc96febf551c0c3be2b75f92fe1f88f4bb996969ad0174b4b7a70261b7b85c844f4b33a4674fd049f"
	if q.Version != 5 || q.BodyType != 3 || q.TEEType != 0x81 || hex.EncodeToString(q.MRTD) != mrtd || hex.EncodeToString(q.ReportData) != rd ||
		!bytes.Equal(q.MRConfigID, make([]byte, 48)) || len(q.MRServiceTD) != 48 {
		t.Fatalf("fields: %+v", q)
	}
}

func TestParseFields(t *testing.T) {
	rd, m := fixedMeasurements()
	signer := tdxtest.NewSigner()
	for _, raw := range [][]byte{signer.Quote(rd, m), signer.QuoteV5(rd, m)} {
		q, err := tdx.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(q.ReportData, rd[:]) || !bytes.Equal(q.MRTD, m.MRTD[:]) || !bytes.Equal(q.MRConfigID, m.MRConfigID[:]) {
			t.Errorf("v%d: report data or measurements not where the format puts them", q.Version)
		}
		for i := range q.RTMRs {
			if !bytes.Equal(q.RTMRs[i], m.RTMRs[i][:]) {
				t.Errorf("v%d: RTMR%d = %x", q.Version, i, q.RTMRs[i])
			}
		}
		if q.Version == 5 && (q.BodyType != 3 || len(q.MRServiceTD) != 48 || len(q.TEETCBSVN2) != 16) {
			t.Errorf("v5 extras: body type %d, %d, %d bytes", q.BodyType, len(q.MRServiceTD), len(q.TEETCBSVN2))
		}
	}
}

func TestParseRejects(t *testing.T) {
	real := testdata.RawQuote
	simEnclave, err := enclave.NewSimulated(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	simQuote, err := simEnclave.Quote(t.Context(), [64]byte{1})
	if err != nil {
		t.Fatal(err)
	}
	sim := simQuote.Raw
	with := func(off int, b ...byte) []byte {
		out := bytes.Clone(real)
		copy(out[off:], b)
		return out
	}
	u32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	tests := []struct {
		name string
		raw  []byte
		want error
	}{
		{"empty", nil, tdx.ErrTruncated},
		{"header only", real[:48], tdx.ErrTruncated},
		{"cut in the body", real[:300], tdx.ErrTruncated},
		{"cut before the signature length", real[:0x279], tdx.ErrTruncated},
		{"cut in the PCK chain", real[:len(real)-500], tdx.ErrTruncated},
		{"simulated quote", sim, tdx.ErrSimulated},
		{"garbage", bytes.Repeat([]byte{0xde, 0xad}, 600), tdx.ErrUnsupported},
		{"version 3", with(0, 3, 0), tdx.ErrUnsupported},
		{"SGX TEE type", with(4, 0, 0, 0, 0), tdx.ErrUnsupported},
		{"attestation key type 3", with(2, 3, 0), tdx.ErrUnsupported},
		{"certification data type 5", with(0x27c+128, 5, 0), tdx.ErrUnsupported},
		{"certification data size too small", with(0x27c+130, u32(100)...), tdx.ErrMalformed},
		{"signature length beyond the end", with(0x278, u32(1<<30)...), tdx.ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := tdx.Parse(tt.raw)
			if !errors.Is(err, tt.want) || q != nil {
				t.Fatalf("Parse = %v, %v; want %v", q, err, tt.want)
			}
			if _, err := tdx.Verify(tt.raw, tdx.Options{}); !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v; want %v", err, tt.want)
			}
		})
	}
}

// Every prefix that ends before the signature section does is rejected
// as truncated. (The sample carries 39 padding bytes after it, which
// go-tdx-guest and Parse both ignore.)
func TestParseEveryPrefixTruncated(t *testing.T) {
	end := 0x27c + int(binary.LittleEndian.Uint32(testdata.RawQuote[0x278:]))
	if end != len(testdata.RawQuote)-39 {
		t.Fatalf("signature section ends at %d of %d", end, len(testdata.RawQuote))
	}
	for n := 0; n < end; n++ {
		if _, err := tdx.Parse(testdata.RawQuote[:n]); !errors.Is(err, tdx.ErrTruncated) {
			t.Fatalf("prefix of %d bytes: %v", n, err)
		}
	}
}
