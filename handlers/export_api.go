package handlers

import (
	"github.com/labstack/echo/v4"

	"confidant/portability/exporter"
)

// exportAPIRequest is the body of POST /api/export.
type exportAPIRequest struct {
	Passphrase           string `json:"passphrase"`
	Recipient            string `json:"recipient"`
	ConnectorCredentials bool   `json:"connector_credentials"`
}

// API answers POST /api/export (API keys with the export scope): the
// body names a passphrase or an age recipient, the answer is the bundle.
func (h *Export) API(c echo.Context) error {
	user := apiUser(c)
	var req exportAPIRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r, err := h.recipient(exportKey{Passphrase: req.Passphrase, Recipient: req.Recipient})
	if err != nil {
		return err
	}
	return h.stream(c, user, r, exporter.Options{ConnectorCredentials: req.ConnectorCredentials}, h.Settings.now())
}
