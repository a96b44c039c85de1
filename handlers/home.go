package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"confidant/views"
)

// Home serves the signed-in start page and the public verification page.
type Home struct {
	Pages       *Pages
	EnclaveMode string
	Version     string
	Commit      string
}

// Index shows the start page, or the sign-in page to signed-out visitors.
func (h *Home) Index(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return render(c, http.StatusOK, views.HomePage(h.Pages.Page(c, "Home", ""), views.HomeData{DisplayName: user.DisplayName}))
}

// Attestation explains what this instance can prove.
func (h *Home) Attestation(c echo.Context) error {
	d := views.AttestationData{EnclaveMode: h.EnclaveMode, Version: h.Version, Commit: h.Commit}
	return render(c, http.StatusOK, views.AttestationPage(h.Pages.Page(c, "Verification", ""), d))
}
