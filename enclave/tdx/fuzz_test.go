package tdx_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-tdx-guest/testing/testdata"

	"confidant/enclave/tdx"
	"confidant/enclave/tdx/tdxtest"
)

// FuzzParse: Parse never panics, and whatever parses has every field at
// its fixed size and marshals to JSON. Seeds: testdata/fuzz and the quotes
// below. (Verify on mutated quotes is exercised by the flipped-byte and
// differential tests; with signature checks in the loop the fuzzer would
// crawl.)
func FuzzParse(f *testing.F) {
	signer := tdxtest.NewSigner()
	rd, m := fixedMeasurements()
	f.Add(testdata.RawQuote)
	f.Add(signer.Quote(rd, m))
	f.Add(signer.QuoteV5(rd, m))
	f.Fuzz(func(t *testing.T, raw []byte) {
		q, err := tdx.Parse(raw)
		if err != nil {
			if q != nil {
				t.Fatal("error with a quote")
			}
			return
		}
		sizes := map[string]int{"report data": len(q.ReportData), "MRTD": len(q.MRTD), "MRCONFIGID": len(q.MRConfigID), "RTMR3": len(q.RTMRs[3])}
		for name, want := range map[string]int{"report data": 64, "MRTD": 48, "MRCONFIGID": 48, "RTMR3": 48} {
			if sizes[name] != want {
				t.Fatalf("%s is %d bytes", name, sizes[name])
			}
		}
		if _, err := json.Marshal(q); err != nil {
			t.Fatal(err)
		}
	})
}
