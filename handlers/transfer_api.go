package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/inference/signing"
	"confidant/portability/transfer"
)

var (
	errTransferGone     = echo.NewHTTPError(http.StatusNotFound, "No such transfer, or it no longer waits for data.")
	errTransferExpired  = echo.NewHTTPError(http.StatusGone, "This transfer has expired; start again from the destination.")
	errTransferNonce    = echo.NewHTTPError(http.StatusBadRequest, "The nonce must be 64 hex digits.")
	errTransferToken    = echo.NewHTTPError(http.StatusUnauthorized, "The upload needs the transfer's token as a Bearer token.")
	errTransferRejected = echo.NewHTTPError(http.StatusUnprocessableEntity, "The upload was refused; nothing was imported.")
)

// Offer answers GET /v1/transfer/{id}/offer?nonce=: the transfer's HPKE
// key and this server's attestation binding it and the caller's nonce.
func (h *Transfer) Offer(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return errTransferGone
	}
	nonce, err := signing.ParseNonce(c.QueryParam("nonce"))
	if err != nil {
		return errTransferNonce
	}
	o, err := h.Service.Offer(c.Request().Context(), id, nonce)
	switch {
	case errors.Is(err, transfer.ErrNotFound):
		return errTransferGone
	case errors.Is(err, transfer.ErrExpired):
		return errTransferExpired
	case err != nil:
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, o)
}

// Upload answers POST /v1/transfer/{id}/upload: the source's sealed
// stream, with the one-time token as a Bearer token. It answers once the
// data is imported, or refused with nothing imported.
func (h *Transfer) Upload(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return errTransferGone
	}
	token, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return errTransferToken
	}
	up := transfer.Upload{ID: id, Token: token, Body: c.Request().Body,
		SourceSimulated: c.Request().Header.Get(transfer.HeaderSourceEnclave) == "simulated"}
	err = h.Service.Receive(c.Request().Context(), up)
	switch {
	case errors.Is(err, transfer.ErrNotFound):
		return errTransferGone
	case err != nil:
		return errTransferRejected.WithInternal(err)
	}
	return c.JSON(http.StatusOK, map[string]string{"state": "done"})
}
