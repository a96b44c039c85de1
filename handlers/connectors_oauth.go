package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/connectors"
	"confidant/connectors/oauth"
	"confidant/views"
	"confidant/web/webctx"
)

// OAuthFlow is the authorization code flow the connect pages drive;
// *oauth.Flow is one.
type OAuthFlow interface {
	Start(ctx context.Context, userID uuid.UUID, kind connectors.Kind) (string, error)
	Finish(ctx context.Context, userID uuid.UUID, state, code string) (connectors.Settings, error)
}

// ConnectOAuth stores a newly authorized account for the user and returns
// its connector id (the connectors service's Connect).
type ConnectOAuth func(ctx context.Context, userID uuid.UUID, s connectors.Settings) (uuid.UUID, error)

// ConnectorsOAuth connects Google and Microsoft accounts: it sends the
// browser to the provider and takes it back on the callback.
type ConnectorsOAuth struct {
	Pages   *Pages
	Flow    OAuthFlow
	Connect ConnectOAuth // nil: accounts cannot be stored yet
	Log     *slog.Logger
}

// Start sends the browser to the provider's consent page.
// GET /connections/oauth/:kind/start
func (h *ConnectorsOAuth) Start(c echo.Context) error {
	_, u, _ := webctx.Session(c)
	to, err := h.Flow.Start(c.Request().Context(), u.ID, connectors.Kind(c.Param("kind")))
	if errors.Is(err, oauth.ErrNotOffered) {
		return h.problem(c, http.StatusNotFound, "Not available", "This kind of account cannot be connected here: the server has no client id for it.")
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// Callback finishes the flow the provider sent the browser back from,
// connects the account and shows the connections.
// GET /connections/oauth/callback
func (h *ConnectorsOAuth) Callback(c echo.Context) error {
	_, u, _ := webctx.Session(c)
	q := c.QueryParams()
	switch reason := q.Get("error"); {
	case reason == "access_denied" || reason == "consent_required":
		return h.problem(c, http.StatusBadRequest, "Not connected", "You did not allow Confidant to read this account, so nothing was connected. You can start again from Connections.")
	case reason != "":
		h.Log.Info("oauth callback with an error", "reason", safeReason(reason))
		return h.problem(c, http.StatusBadGateway, "Not connected", "The provider did not complete the sign-in, so nothing was connected. Please try again from Connections.")
	case q.Get("state") == "" || q.Get("code") == "":
		return h.problem(c, http.StatusBadRequest, "Not connected", "This link is incomplete. Start connecting the account again from Connections.")
	}
	s, err := h.Flow.Finish(c.Request().Context(), u.ID, q.Get("state"), q.Get("code"))
	switch {
	case errors.Is(err, oauth.ErrBadState):
		return h.problem(c, http.StatusBadRequest, "Link expired", "This sign-in link has expired, was already used, or was started in another account. Start connecting the account again from Connections.")
	case errors.Is(err, oauth.ErrNotOffered):
		return h.problem(c, http.StatusNotFound, "Not available", "This kind of account cannot be connected here any more.")
	case errors.Is(err, oauth.ErrExchange):
		h.Log.Info("oauth code exchange refused", "err", err)
		return h.problem(c, http.StatusBadGateway, "Not connected", "The provider did not accept the sign-in, so nothing was connected. Please try again from Connections.")
	case err != nil:
		return err
	}
	if h.Connect == nil {
		return h.problem(c, http.StatusServiceUnavailable, "Not connected", "Connected accounts cannot be stored on this server yet, so nothing was kept.")
	}
	if _, err := h.Connect(c.Request().Context(), u.ID, s); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/connections?done=connected")
}

// problem shows a page that says what happened and what to do.
func (h *ConnectorsOAuth) problem(c echo.Context, status int, heading, msg string) error {
	d := views.ErrorData{Status: status, Heading: heading, Message: msg}
	return render(c, status, views.ErrorPage(h.Pages.Page(c, heading, ""), d))
}

// safeReason keeps a provider's error code for the log only when it is a
// short token, so nothing a request carried lands in the log verbatim.
func safeReason(s string) string {
	if len(s) > 40 {
		return "other"
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "other"
		}
	}
	return s
}
