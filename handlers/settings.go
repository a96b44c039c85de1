package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/auth"
	"confidant/store"
	"confidant/views"
)

// Settings serves the account settings pages.
type Settings struct {
	Pages   *Pages
	Service *auth.Service
	Store   *store.Store
	Cookies *SessionCookies
	Origin  *url.URL
	Now     func() time.Time
}

func (h *Settings) now() time.Time {
	if h.Now == nil {
		return time.Now()
	}
	return h.Now()
}

// notices maps the ?done= and ?error= codes of a redirect to fixed texts,
// so no request text is ever echoed into a page.
var notices = map[string]string{
	"added":       "Passkey added. You can now sign in with it.",
	"renamed":     "Passkey renamed.",
	"removed":     "Passkey removed.",
	"revoked":     "That session is signed out.",
	"revoked-all": "Every other session is signed out.",
	"none":        "There were no other sessions to sign out.",
}

func (h *Settings) showInvites(u store.User) bool { return u.IsOwner && h.Service.InviteOnly() }

// Index sends /settings to its first tab.
func (h *Settings) Index(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/settings/passkeys")
}

// Passkeys lists the user's passkeys.
func (h *Settings) Passkeys(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	keys, err := h.Service.Passkeys(c.Request().Context(), user.ID)
	if err != nil {
		return err
	}
	d := views.PasskeysData{ShowInvites: h.showInvites(user), Notice: notices[c.QueryParam("done")]}
	if c.QueryParam("error") == auth.ErrLastPasskey.Code {
		d.Error = auth.ErrLastPasskey.Message
	}
	for _, k := range keys {
		d.Passkeys = append(d.Passkeys, views.PasskeyRow{ID: k.ID.String(), Name: k.Name, CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt,
			BackupEligible: k.Credential.Flags.BackupEligible, BackedUp: k.Credential.Flags.BackupState})
	}
	return render(c, http.StatusOK, views.PasskeysPage(h.Pages.Page(c, "Passkeys", "passkeys"), d))
}

// AddPasskeyBegin starts registering another passkey.
func (h *Settings) AddPasskeyBegin(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	var req struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ch, err := h.Service.BeginAddPasskey(c.Request().Context(), user, strings.TrimSpace(req.Name))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ch)
}

// AddPasskeyFinish stores the new passkey.
func (h *Settings) AddPasskeyFinish(c echo.Context) error {
	user, id, body, err := userAndCeremony(c)
	if err != nil {
		return err
	}
	if _, err := h.Service.FinishAddPasskey(c.Request().Context(), user, id, body, c.Request().UserAgent()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, finishResponse{Redirect: "/settings/passkeys?done=added"})
}

// RenamePasskey renames one of the user's passkeys.
func (h *Settings) RenamePasskey(c echo.Context) error {
	user, id, err := userAndID(c, "id")
	if err != nil {
		return err
	}
	if err := h.Service.RenamePasskey(c.Request().Context(), user.ID, id, c.FormValue("name"), c.Request().UserAgent()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/settings/passkeys?done=renamed")
}

// RemovePasskey removes one of the user's passkeys, never the last.
func (h *Settings) RemovePasskey(c echo.Context) error {
	user, id, err := userAndID(c, "id")
	if err != nil {
		return err
	}
	err = h.Service.RemovePasskey(c.Request().Context(), user.ID, id, c.Request().UserAgent())
	if errors.Is(err, auth.ErrLastPasskey) {
		return c.Redirect(http.StatusSeeOther, "/settings/passkeys?error="+auth.ErrLastPasskey.Code)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/settings/passkeys?done=removed")
}

// Sessions lists where the user is signed in.
func (h *Settings) Sessions(c echo.Context) error {
	current, user, err := currentUser(c)
	if err != nil {
		return err
	}
	list, err := h.Service.Sessions(c.Request().Context(), user.ID)
	if err != nil {
		return err
	}
	d := views.SessionsData{ShowInvites: h.showInvites(user), Notice: notices[c.QueryParam("done")]}
	for _, s := range list {
		d.Sessions = append(d.Sessions, views.SessionRow{ID: s.ID.String(), Device: auth.DescribeUserAgent(s.UserAgent),
			CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt, Current: s.ID == current.ID})
	}
	return render(c, http.StatusOK, views.SessionsPage(h.Pages.Page(c, "Sessions", "sessions"), d))
}

// RevokeSession signs out one of the user's other sessions.
func (h *Settings) RevokeSession(c echo.Context) error {
	user, id, err := userAndID(c, "id")
	if err != nil {
		return err
	}
	if err := h.Service.RevokeSession(c.Request().Context(), user.ID, id, c.Request().UserAgent()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/settings/sessions?done=revoked")
}

// RevokeOtherSessions signs out every session but this one.
func (h *Settings) RevokeOtherSessions(c echo.Context) error {
	current, _, err := currentUser(c)
	if err != nil {
		return err
	}
	n, err := h.Service.RevokeOtherSessions(c.Request().Context(), current, c.Request().UserAgent())
	if err != nil {
		return err
	}
	done := "revoked-all"
	if n == 0 {
		done = "none"
	}
	return c.Redirect(http.StatusSeeOther, "/settings/sessions?done="+done)
}

// eventTexts says each security event in words.
var eventTexts = map[string]string{
	store.EventSignUp:             "Account created",
	store.EventSignIn:             "Signed in",
	store.EventSignOut:            "Signed out",
	store.EventPasskeyAdded:       "Passkey added",
	store.EventPasskeyRenamed:     "Passkey renamed",
	store.EventPasskeyRemoved:     "Passkey removed",
	store.EventSessionRevoked:     "A session was signed out",
	store.EventSessionsRevoked:    "All other sessions were signed out",
	store.EventRecoveryCodeUsed:   "Recovery code used",
	store.EventRecoveryCodesReset: "New recovery codes made",
	store.EventInviteCreated:      "Invite link created",
}

const activityPageSize = 50

// Activity lists the user's security events, newest first.
func (h *Settings) Activity(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	before, _ := uuid.Parse(c.QueryParam("before")) // absent or malformed: newest first
	events, err := h.Service.SecurityEvents(c.Request().Context(), user.ID, before, activityPageSize)
	if err != nil {
		return err
	}
	d := views.ActivityData{ShowInvites: h.showInvites(user)}
	for _, e := range events {
		what, ok := eventTexts[e.Kind]
		if !ok {
			what = e.Kind
		}
		d.Events = append(d.Events, views.EventRow{What: what, Device: auth.DescribeUserAgent(e.UserAgent), At: e.CreatedAt,
			Alert: e.Kind == store.EventRecoveryCodeUsed})
	}
	if len(events) == activityPageSize {
		d.NextBefore = events[len(events)-1].ID.String()
	}
	return render(c, http.StatusOK, views.ActivityPage(h.Pages.Page(c, "Security activity", "activity"), d))
}
