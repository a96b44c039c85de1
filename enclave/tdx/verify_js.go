//go:build js

package tdx

import (
	"crypto/x509"
	"fmt"
	"time"
)

// verifyPlatform adds nothing in the browser build: go-tdx-guest's verify
// package does not build for js/wasm, so the own check in Verify is the
// whole verification, and TCB status needs collateral the browser does not
// fetch.
func verifyPlatform(_ []byte, _ *Quote, _ *x509.CertPool, _ time.Time, collateral Getter, _ *Result) error {
	if collateral != nil {
		return fmt.Errorf("%w: TCB status is not evaluated in the browser build", ErrCollateral)
	}
	return nil
}
