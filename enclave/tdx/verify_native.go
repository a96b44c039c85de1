//go:build !js

package tdx

import (
	"crypto/x509"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-tdx-guest/abi"
	"github.com/google/go-tdx-guest/verify"
)

// verifyPlatform runs go-tdx-guest on a version 4 quote that the own check
// accepted, and with collateral evaluates revocations and the TCB status.
// go-tdx-guest v0.3.1 does not handle version 5; for those the own check
// stands alone and collateral is refused.
func verifyPlatform(raw []byte, q *Quote, roots *x509.CertPool, now time.Time, collateral Getter, res *Result) error {
	if q.Version != 4 {
		if collateral != nil {
			return fmt.Errorf("%w: TCB status is evaluated for version 4 quotes only", ErrCollateral)
		}
		return nil
	}
	opts := &verify.Options{Now: now, TrustedRoots: roots}
	if collateral != nil {
		opts.GetCollateral, opts.CheckRevocations, opts.Getter = true, true, collateral
	}
	err := goTDXGuest(raw, opts)
	switch {
	case err == nil:
		res.Verifier = "go-tdx-guest+own"
		if collateral != nil {
			res.TCBStatus = "UpToDate"
		}
		return nil
	case collateral == nil:
		return fmt.Errorf("%w by go-tdx-guest: %v", ErrRejected, err)
	case strings.Contains(err.Error(), "TCB status check"):
		res.Verifier = "go-tdx-guest+own"
		if m := tcbStatusFound.FindAllStringSubmatch(err.Error(), -1); len(m) > 0 {
			res.TCBStatus = m[len(m)-1][1]
			return fmt.Errorf("%w: Intel rates this platform %s (%v)", ErrTCBStatus, res.TCBStatus, err)
		}
		return fmt.Errorf("%w: %v", ErrTCBStatus, err)
	default:
		return fmt.Errorf("%w: %v", ErrCollateral, err)
	}
}

// tcbStatusFound finds the status in go-tdx-guest's TCB status errors,
// which end in `found "OutOfDate"`.
var tcbStatusFound = regexp.MustCompile(`found "([A-Za-z]+)"`)

// goTDXGuest runs go-tdx-guest's verifier, turning a panic on input it
// does not expect into an error.
func goTDXGuest(raw []byte, opts *verify.Options) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("go-tdx-guest panicked: %v", p)
		}
	}()
	pq, err := abi.QuoteToProto(raw)
	if err != nil {
		return err
	}
	return verify.TdxQuote(pq, opts)
}
