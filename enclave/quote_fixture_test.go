package enclave

import (
	"bytes"

	"github.com/google/go-tdx-guest/testing/testdata"
)

// realQuote returns a copy of the real TDX v4 quote that go-tdx-guest ships
// for tests.
func realQuote() []byte {
	return bytes.Clone(testdata.RawQuote)
}
