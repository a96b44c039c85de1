package handlers

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"confidant/auth"
	"confidant/views"
)

// APIKeys lists the user's API keys.
func (h *Settings) APIKeys(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	keys, err := h.Service.APIKeys(c.Request().Context(), user.ID)
	if err != nil {
		return err
	}
	d := views.APIKeysData{Scopes: auth.AllScopes(), ShowInvites: h.showInvites(user), Origin: h.Origin.String()}
	if c.QueryParam("done") == "revoked" {
		d.Notice = "The key is revoked."
	}
	for _, k := range keys {
		d.Keys = append(d.Keys, views.APIKeyRow{ID: k.ID.String(), Name: k.Name, Scopes: k.Scopes, CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt})
	}
	return render(c, http.StatusOK, views.APIKeysPage(h.Pages.Page(c, "API keys", "api-keys"), d))
}

// stringList accepts a JSON string or array of strings: a form with one
// checked box sends a string, with several an array.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*l = nil
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

type newKeyRequest struct {
	Name   string     `json:"name"`
	Scopes stringList `json:"scopes"`
}

// APIKeyBegin checks the new key's name and scopes and asks for a passkey.
func (h *Settings) APIKeyBegin(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	var req newKeyRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Scopes, err = auth.CleanScopes(req.Scopes); err != nil {
		return err
	}
	ch, err := h.Service.BeginStepUpWith(c.Request().Context(), user, auth.ActionCreateAPIKey, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ch)
}

// APIKeyFinish verifies the passkey, creates the key and returns it once.
func (h *Settings) APIKeyFinish(c echo.Context) error {
	user, id, body, err := userAndCeremony(c)
	if err != nil {
		return err
	}
	extra, err := h.Service.FinishStepUpWith(c.Request().Context(), user, id, auth.ActionCreateAPIKey, body)
	if err != nil {
		return err
	}
	var req newKeyRequest
	if err := json.Unmarshal(extra, &req); err != nil {
		return err
	}
	created, err := h.Service.CreateAPIKey(c.Request().Context(), user.ID, req.Name, req.Scopes)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"api_key": created.Secret})
}

// APIKeyRevoke deletes one of the user's keys.
func (h *Settings) APIKeyRevoke(c echo.Context) error {
	user, id, err := userAndID(c, "id")
	if err != nil {
		return err
	}
	if err := h.Service.RevokeAPIKey(c.Request().Context(), user.ID, id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/settings/api-keys?done=revoked")
}
