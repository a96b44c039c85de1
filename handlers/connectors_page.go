package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"confidant/connectors"
	"confidant/views"
)

// ConnectionsPage serves the Connections page: connected accounts with
// live status, forms to connect IMAP and CalDAV, sync now, disconnect.
type ConnectionsPage struct {
	Pages   *Pages
	Service ConnectorService
	Now     func() time.Time
	// OAuthKinds are the kinds offered through a provider's sign-in.
	OAuthKinds []connectors.Kind
}

func (h *ConnectionsPage) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func toConnectionRow(c connectors.Connection) views.ConnectionRow {
	return views.ConnectionRow{ID: c.ID.String(), Kind: string(c.Kind), Name: c.Name, Status: c.Status, Error: c.Error, Items: c.Items,
		Done: c.Progress.Done, Total: c.Progress.Total, LastSync: c.LastSync, Capabilities: connectors.Describe(c.Kind)}
}

// connectionNotices words the outcome of the last action.
var connectionNotices = map[string]string{
	"connected":    "Connected. The first sync has started; it can take a few minutes for a large mailbox.",
	"sync":         "A sync was requested. If one ran a moment ago, the next starts shortly.",
	"disconnected": "Disconnected. The password and everything synced from the account were deleted.",
}

func (h *ConnectionsPage) render(c echo.Context, status int, form views.ConnectForm) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	list, err := h.Service.List(c.Request().Context(), user.ID)
	if err != nil {
		return err
	}
	d := views.ConnectionsData{Form: form, Notice: connectionNotices[c.QueryParam("done")], Now: h.now()}
	for _, k := range h.OAuthKinds {
		d.OAuthKinds = append(d.OAuthKinds, string(k))
	}
	if status != http.StatusOK {
		d.Notice = ""
	}
	for _, conn := range list {
		d.Connections = append(d.Connections, toConnectionRow(conn))
	}
	return render(c, status, views.ConnectionsPage(h.Pages.Page(c, "Connections", "connections"), d))
}

// Index shows the page.
func (h *ConnectionsPage) Index(c echo.Context) error {
	return h.render(c, http.StatusOK, views.ConnectForm{})
}

// Row is one connection's list item, which polls itself while it syncs.
func (h *ConnectionsPage) Row(c echo.Context) error {
	user, id, err := userAndID(c, "id")
	if err != nil {
		return err
	}
	conn, err := h.Service.Get(c.Request().Context(), user.ID, id)
	if err != nil {
		return connectorErr(err)
	}
	return render(c, http.StatusOK, views.ConnectionItem(h.Pages.Fragment(c, "Connections"), toConnectionRow(conn), h.now()))
}

// Create connects an account from one of the forms; a refusal shows the
// form again with what to fix.
func (h *ConnectionsPage) Create(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	form := views.ConnectForm{Kind: c.FormValue("kind"), Host: strings.TrimSpace(c.FormValue("host")), Port: strings.TrimSpace(c.FormValue("port")),
		Security: c.FormValue("security"), URL: strings.TrimSpace(c.FormValue("url")), Username: c.FormValue("username")}
	settings := connectors.Settings{Kind: connectors.Kind(form.Kind), Host: form.Host, Security: connectors.Security(form.Security),
		URL: form.URL, Username: form.Username, Password: c.FormValue("password")}
	if form.Port != "" {
		port, err := strconv.Atoi(form.Port)
		if err != nil {
			form.Field, form.Error = "port", "The port must be a number from 1 to 65535 (993 for TLS, 143 for STARTTLS)."
			return h.render(c, http.StatusBadRequest, form)
		}
		settings.Port = port
	}
	if settings.Kind == connectors.KindGmail || settings.Kind == connectors.KindMicrosoft {
		form.Error = "Google and Microsoft accounts are connected through their sign-in page."
		return h.render(c, http.StatusBadRequest, form)
	}
	if _, err := h.Service.Connect(c.Request().Context(), user.ID, settings); err != nil {
		var ie *connectors.InputError
		if !asInputError(err, &ie) {
			return err
		}
		form.Field, form.Error = ie.Field, ie.Message
		if ie.Field == "kind" {
			form.Field = ""
		}
		return h.render(c, http.StatusBadRequest, form)
	}
	return c.Redirect(http.StatusSeeOther, "/connections?done=connected")
}

// Sync asks for a sync now.
func (h *ConnectionsPage) Sync(c echo.Context) error {
	user, id, err := userAndID(c, "id")
	if err != nil {
		return err
	}
	if err := h.Service.Sync(c.Request().Context(), user.ID, id); err != nil {
		return connectorErr(err)
	}
	return c.Redirect(http.StatusSeeOther, "/connections?done=sync")
}

// Delete disconnects after the page's confirmation.
func (h *ConnectionsPage) Delete(c echo.Context) error {
	user, id, err := userAndID(c, "id")
	if err != nil {
		return err
	}
	if err := h.Service.Disconnect(c.Request().Context(), user.ID, id); err != nil {
		return connectorErr(err)
	}
	return c.Redirect(http.StatusSeeOther, "/connections?done=disconnected")
}
