package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"confidant/auth"
	"confidant/views"
)

// Recovery shows how many recovery codes are left.
func (h *Settings) Recovery(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	left, err := h.Service.RecoveryCodesLeft(c.Request().Context(), user.ID)
	if err != nil {
		return err
	}
	d := views.RecoveryData{Left: left, ShowInvites: h.showInvites(user), Username: user.Username}
	return render(c, http.StatusOK, views.RecoveryPage(h.Pages.Page(c, "Recovery codes", "recovery"), d))
}

// RecoveryBegin asks for a passkey before issuing new recovery codes.
func (h *Settings) RecoveryBegin(c echo.Context) error {
	return h.stepUpBegin(c, auth.ActionRecoveryCodes)
}

// RecoveryFinish verifies the passkey and returns a new set of codes, once.
func (h *Settings) RecoveryFinish(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	if err := h.stepUpFinish(c, auth.ActionRecoveryCodes); err != nil {
		return err
	}
	codes, err := h.Service.RegenerateRecoveryCodes(c.Request().Context(), user.ID, c.Request().UserAgent())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, finishResponse{Redirect: "/settings/recovery", RecoveryCodes: codes})
}

// DeleteAccountPage explains account deletion.
func (h *Settings) DeleteAccountPage(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	d := views.DeleteAccountData{Username: user.Username, ShowInvites: h.showInvites(user)}
	return render(c, http.StatusOK, views.DeleteAccountPage(h.Pages.Page(c, "Delete account", "account"), d))
}

// errConfirmMismatch is returned when the typed username does not match.
var errConfirmMismatch = &auth.Error{Code: "confirmation_mismatch", Message: "Type your username exactly to confirm.", Status: http.StatusBadRequest}

// DeleteAccountBegin checks the typed confirmation and asks for a passkey.
func (h *Settings) DeleteAccountBegin(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	var req struct {
		Confirm string `json:"confirm"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if !strings.EqualFold(strings.TrimSpace(req.Confirm), user.Username) {
		return errConfirmMismatch
	}
	ch, err := h.Service.BeginStepUp(c.Request().Context(), user, auth.ActionDeleteAccount)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ch)
}

// DeleteAccountFinish verifies the passkey and deletes everything.
func (h *Settings) DeleteAccountFinish(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	if err := h.stepUpFinish(c, auth.ActionDeleteAccount); err != nil {
		return err
	}
	if err := h.Service.DeleteAccount(c.Request().Context(), user.ID); err != nil {
		return err
	}
	h.Cookies.Clear(c)
	return c.JSON(http.StatusOK, finishResponse{Redirect: "/login?deleted=1"})
}

func (h *Settings) stepUpBegin(c echo.Context, action string) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	ch, err := h.Service.BeginStepUp(c.Request().Context(), user, action)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ch)
}

func (h *Settings) stepUpFinish(c echo.Context, action string) error {
	user, id, body, err := userAndCeremony(c)
	if err != nil {
		return err
	}
	return h.Service.FinishStepUp(c.Request().Context(), user, id, action, body)
}

// Invites lists the owner's invites.
func (h *Settings) Invites(c echo.Context) error {
	return h.renderInvites(c, "")
}

// CreateInvite makes a new single-use invite link and shows it once.
func (h *Settings) CreateInvite(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	token, err := h.Service.CreateInvite(c.Request().Context(), user, c.Request().UserAgent())
	if err != nil {
		return err
	}
	link := *h.Origin
	link.Path = "/signup"
	link.RawQuery = "invite=" + token
	return h.renderInvites(c, link.String())
}

func (h *Settings) renderInvites(c echo.Context, newLink string) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	if !h.showInvites(user) {
		return auth.ErrNotOwner
	}
	list, err := h.Service.Invites(c.Request().Context(), user.ID)
	if err != nil {
		return err
	}
	now := time.Now()
	d := views.InvitesData{NewLink: newLink}
	for _, inv := range list {
		d.Invites = append(d.Invites, views.InviteRow{CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt, Used: inv.UsedAt != nil, Expired: !inv.ExpiresAt.After(now)})
	}
	status := http.StatusOK
	if newLink != "" {
		status = http.StatusCreated
	}
	return render(c, status, views.InvitesPage(h.Pages.Page(c, "Invites", "invites"), d))
}
