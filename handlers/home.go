package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"confidant/views"
)

// Home serves the public verification page.
type Home struct {
	Pages       *Pages
	EnclaveMode string
	Version     string
	Commit      string
}

// Attestation explains what this instance can prove.
func (h *Home) Attestation(c echo.Context) error {
	d := views.AttestationData{EnclaveMode: h.EnclaveMode, Version: h.Version, Commit: h.Commit}
	return render(c, http.StatusOK, views.AttestationPage(h.Pages.Page(c, "Verification", ""), d))
}
