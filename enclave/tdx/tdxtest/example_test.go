package tdxtest_test

import (
	"errors"
	"fmt"

	"confidant/enclave/tdx"
	"confidant/enclave/tdx/tdxtest"
)

// A test reaches a verified quote only by injecting the signer's roots.
func ExampleSigner() {
	signer := tdxtest.NewSigner()
	var reportData [64]byte
	copy(reportData[:], "signing address and nonce")
	quote := signer.Quote(reportData, tdxtest.Measurements{MRTD: [48]byte{0xaa}})

	res, err := tdx.Verify(quote, tdx.Options{Roots: signer.Roots()})
	fmt.Println(err, res.Quote.Version, fmt.Sprintf("%x", res.Quote.MRTD[:2]))

	_, err = tdx.Verify(quote, tdx.Options{}) // Intel's roots
	fmt.Println(errors.Is(err, tdx.ErrUntrustedRoot))
	// Output:
	// <nil> 4 aa00
	// true
}
