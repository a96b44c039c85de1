package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/attestation"
	"confidant/inference/signing"
	"confidant/store"
)

// Attestation serves Confidant's own evidence in the private-inference
// convention: the public report, and signatures over API responses.
type Attestation struct {
	Reporter  *attestation.Reporter
	Responses *attestation.Responses
	// Slots bounds the reports made at once, across all callers: each
	// costs a hardware quote and a report from every backend. Nil: no
	// bound.
	Slots chan struct{}
}

var errReportsBusy = echo.NewHTTPError(http.StatusServiceUnavailable, "Too many attestation reports are being made right now. Try again in a few seconds.")

var (
	errBadNonce = echo.NewHTTPError(http.StatusBadRequest, "The nonce must be 64 hex digits (32 bytes).")
	errBadAlgo  = echo.NewHTTPError(http.StatusBadRequest, "signing_algo must be ecdsa or ed25519.")
	errNoSig    = echo.NewHTTPError(http.StatusNotFound, "There is no signature for that completion: the id is unknown, not yours, or its answer has not finished.")
)

// Report answers GET /v1/attestation/report?nonce=&signing_algo= for
// anyone, from any origin: a fresh quote binding the app's signing key and
// the nonce, and the backends' latest verified reports. Without a nonce
// one is made up, which proves nothing about freshness to the caller.
func (h *Attestation) Report(c echo.Context) error {
	allowAnyOrigin(c)
	q := c.QueryParams()
	algo, err := signing.ParseAlgo(q.Get("signing_algo"))
	if err != nil {
		return errBadAlgo
	}
	var nonce [32]byte
	if q.Has("nonce") {
		b, err := hex.DecodeString(q.Get("nonce"))
		if err != nil || len(b) != len(nonce) {
			return errBadNonce
		}
		copy(nonce[:], b)
	} else {
		rand.Read(nonce[:])
	}
	if h.Slots != nil {
		select {
		case h.Slots <- struct{}{}:
			defer func() { <-h.Slots }()
		default:
			c.Response().Header().Set("Retry-After", "2")
			return errReportsBusy
		}
	}
	report, err := h.Reporter.Report(c.Request().Context(), nonce, algo)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, report)
}

// Preflight answers CORS preflight requests for the public report.
func (h *Attestation) Preflight(c echo.Context) error {
	allowAnyOrigin(c)
	c.Response().Header().Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	c.Response().Header().Set("Access-Control-Max-Age", "86400")
	return c.NoContent(http.StatusNoContent)
}

// Signature answers GET /v1/signature/{id}?signing_algo= for the owner of
// the completion: the app's signature over the hashes of the request body
// and the response bytes.
func (h *Attestation) Signature(c echo.Context) error {
	algo, err := signing.ParseAlgo(c.QueryParam("signing_algo"))
	if err != nil {
		return errBadAlgo
	}
	id, err := uuid.Parse(strings.TrimPrefix(c.Param("id"), completionIDPrefix))
	if err != nil {
		return errNoSig
	}
	sig, err := h.Responses.Sign(c.Request().Context(), apiUser(c).ID, id, algo)
	if errors.Is(err, store.ErrNotFound) {
		return errNoSig
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sig)
}

// allowAnyOrigin lets browsers on other origins (a verifier page hosted
// anywhere) read the response. Nothing in it depends on cookies.
func allowAnyOrigin(c echo.Context) {
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
}
