package caldav

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"

	"confidant/connectors"
)

// classify turns a failure into a *connectors.Error a person can act on;
// context cancellation and errors already classified pass through.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ce *connectors.Error
	if errors.As(err, &ce) || errors.Is(err, context.Canceled) {
		return err
	}
	var se *statusError
	if errors.As(err, &se) {
		switch {
		case se.Status == http.StatusUnauthorized:
			return &connectors.Error{Code: "auth_failed", Message: "The calendar server refused the user name or password.", Err: err}
		case se.Status == http.StatusForbidden:
			return &connectors.Error{Code: "auth_failed", Message: "The calendar server refused access to this calendar for this user.", Err: err}
		case se.Status == http.StatusTooManyRequests:
			return &connectors.Error{Code: "rate_limited", Message: "The calendar server asks to slow down; syncing will try again later.", Err: err, Retry: true}
		case se.Status >= 500:
			return &connectors.Error{Code: "server", Message: "The calendar server had an error; syncing will try again later.", Err: err, Retry: true}
		default:
			return &connectors.Error{Code: "not_caldav", Message: "The address does not lead to a CalDAV calendar server.", Err: err}
		}
	}
	if isTLSError(err) {
		return &connectors.Error{Code: "tls", Message: "The calendar server's certificate could not be verified, or it does not speak TLS.", Err: err}
	}
	var netErr net.Error
	var dnsErr *net.DNSError
	var opErr *net.OpError
	if errors.As(err, &dnsErr) || errors.As(err, &opErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, context.DeadlineExceeded) {
		return &connectors.Error{Code: "unreachable", Message: "The calendar server could not be reached; syncing will try again later.", Err: err, Retry: true}
	}
	return &connectors.Error{Code: "server", Message: "The calendar server gave an answer that could not be read.", Err: err, Retry: true}
}

func isTLSError(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		alert    tls.AlertError
	)
	return errors.As(err, &verify) || errors.As(err, &record) || errors.As(err, &unknown) ||
		errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &alert)
}
