package handlers

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"confidant/views"
)

// maxInstructions bounds custom instructions, which go with every answer.
const maxInstructions = 4000

// Instructions shows the user's custom instructions.
func (h *Settings) Instructions(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	text, err := h.Store.Instructions(c.Request().Context(), user.ID)
	if err != nil {
		return err
	}
	d := views.InstructionsData{Text: text, ShowInvites: h.showInvites(user), Max: maxInstructions}
	if c.QueryParam("done") == "saved" {
		d.Notice = "Saved. New answers follow your instructions."
	}
	return render(c, http.StatusOK, views.InstructionsPage(h.Pages.Page(c, "Custom instructions", "instructions"), d))
}

// SaveInstructions stores the user's custom instructions.
func (h *Settings) SaveInstructions(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	text := strings.TrimSpace(c.FormValue("instructions"))
	if utf8.RuneCountInString(text) > maxInstructions {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "Custom instructions have at most 4000 characters.")
	}
	if err := h.Store.SetInstructions(c.Request().Context(), user.ID, text, h.now()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/settings/instructions?done=saved")
}
