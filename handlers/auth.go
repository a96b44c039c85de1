package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/auth"
	"confidant/views"
	"confidant/web/webctx"
)

// Auth serves sign-up, sign-in, recovery and sign-out.
type Auth struct {
	Pages   *Pages
	Service *auth.Service
	Cookies *SessionCookies
}

// finishResponse is what a finished ceremony tells the browser.
type finishResponse struct {
	Redirect      string   `json:"redirect,omitempty"`
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
	Message       string   `json:"message,omitempty"`
}

// LoginPage shows the sign-in page, or sends a signed-in person home.
func (h *Auth) LoginPage(c echo.Context) error {
	if _, _, ok := webctx.Session(c); ok {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	canSignUp := !h.Service.InviteOnly()
	if !canSignUp {
		_, err := h.Service.SignupAllowed(c.Request().Context(), "")
		canSignUp = err == nil
	}
	d := views.LoginData{CanSignUp: canSignUp}
	if c.QueryParam("deleted") == "1" {
		d.Notice = "Your account and everything in it have been deleted."
	}
	return render(c, http.StatusOK, views.LoginPage(h.Pages.Page(c, "Sign in", ""), d))
}

// SignupPage shows the sign-up form, or why sign-up is closed.
func (h *Auth) SignupPage(c echo.Context) error {
	if _, _, ok := webctx.Session(c); ok {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	ctx := c.Request().Context()
	invite := c.QueryParam("invite")
	d := views.SignupData{Invite: invite, Allowed: true}
	if _, err := h.Service.SignupAllowed(ctx, invite); err != nil {
		var authErr *auth.Error
		if !errors.As(err, &authErr) {
			return err
		}
		d.Allowed, d.Reason = false, authErr.Message
	}
	if h.Service.InviteOnly() && d.Allowed && invite == "" {
		d.FirstOwner = true
	}
	return render(c, http.StatusOK, views.SignupPage(h.Pages.Page(c, "Create account", ""), d))
}

// RecoverPage shows the recovery form.
func (h *Auth) RecoverPage(c echo.Context) error {
	return render(c, http.StatusOK, views.RecoverPage(h.Pages.Page(c, "Recover account", "")))
}

// SignupBegin starts a sign-up ceremony.
func (h *Auth) SignupBegin(c echo.Context) error {
	var req auth.SignupRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ch, err := h.Service.BeginSignup(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ch)
}

// SignupFinish creates the account and signs the person in.
func (h *Auth) SignupFinish(c echo.Context) error {
	return h.finishSignIn(c, h.Service.FinishSignup)
}

// LoginBegin starts a sign-in ceremony, usernameless when no username is given.
func (h *Auth) LoginBegin(c echo.Context) error {
	var req struct {
		Username string `json:"username"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ch, err := h.Service.BeginLogin(c.Request().Context(), req.Username)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ch)
}

// LoginFinish verifies the assertion and signs the person in.
func (h *Auth) LoginFinish(c echo.Context) error {
	return h.finishSignIn(c, h.Service.FinishLogin)
}

// RecoverBegin checks a recovery code and starts a new passkey.
func (h *Auth) RecoverBegin(c echo.Context) error {
	var req struct {
		Username string `json:"username"`
		Code     string `json:"code"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ch, err := h.Service.BeginRecovery(c.Request().Context(), req.Username, req.Code)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ch)
}

// RecoverFinish stores the new passkey and signs the person in.
func (h *Auth) RecoverFinish(c echo.Context) error {
	return h.finishSignIn(c, h.Service.FinishRecovery)
}

type finishFunc func(ctx context.Context, ceremony uuid.UUID, body []byte, userAgent string) (auth.SignedIn, error)

// finishSignIn runs a ceremony that ends signed in and sets the cookie.
func (h *Auth) finishSignIn(c echo.Context, finish finishFunc) error {
	id, body, err := ceremonyInput(c)
	if err != nil {
		return err
	}
	out, err := finish(c.Request().Context(), id, body, c.Request().UserAgent())
	if err != nil {
		return err
	}
	h.Cookies.Set(c, out.Token, out.Session.ExpiresAt)
	return c.JSON(http.StatusOK, finishResponse{Redirect: "/", RecoveryCodes: out.RecoveryCodes})
}

// ceremonyInput reads the ceremony id from the query and the browser's
// WebAuthn response from the body.
func ceremonyInput(c echo.Context) (uuid.UUID, []byte, error) {
	id, err := uuid.Parse(c.QueryParam("ceremony"))
	if err != nil {
		return uuid.Nil, nil, auth.ErrCeremonyExpired
	}
	body, err := readBody(c, maxCeremonyBody)
	if err != nil {
		return uuid.Nil, nil, err
	}
	return id, body, nil
}

// Logout ends the session and clears the cookie.
func (h *Auth) Logout(c echo.Context) error {
	if sess, _, ok := webctx.Session(c); ok {
		if err := h.Service.Logout(c.Request().Context(), sess, c.Request().UserAgent()); err != nil {
			return err
		}
	}
	h.Cookies.Clear(c)
	return c.Redirect(http.StatusSeeOther, "/login")
}

// SessionCookies reads and writes the session cookie.
type SessionCookies struct {
	Secure bool
}

// Name is the cookie's name; behind TLS the __Host- prefix pins it to this
// exact host and path.
func (sc *SessionCookies) Name() string {
	if sc.Secure {
		return "__Host-confidant_session"
	}
	return "confidant_session"
}

// Set stores the session token in an HttpOnly, SameSite=Lax cookie.
func (sc *SessionCookies) Set(c echo.Context, token string, expires time.Time) {
	c.SetCookie(&http.Cookie{Name: sc.Name(), Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: sc.Secure, SameSite: http.SameSiteLaxMode})
}

// Clear removes the session cookie.
func (sc *SessionCookies) Clear(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: sc.Name(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: sc.Secure, SameSite: http.SameSiteLaxMode})
}

// Token returns the session token the request carries, if any.
func (sc *SessionCookies) Token(c echo.Context) string {
	ck, err := c.Cookie(sc.Name())
	if err != nil {
		return ""
	}
	return ck.Value
}

// LoadSession is middleware that attaches the signed-in session, if any.
// A stale cookie is cleared.
func (h *Auth) LoadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := h.Cookies.Token(c)
		if token == "" {
			return next(c)
		}
		sess, user, err := h.Service.Authenticate(c.Request().Context(), token)
		switch {
		case errors.Is(err, auth.ErrNoSession):
			h.Cookies.Clear(c)
		case err != nil:
			return err
		default:
			webctx.SetSession(c, sess, user)
		}
		return next(c)
	}
}

// RequireUser is middleware for signed-in routes: pages redirect to the
// sign-in page, other requests get 401.
func RequireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, _, ok := webctx.Session(c); ok {
			return next(c)
		}
		if c.Request().Method == http.MethodGet {
			return c.Redirect(http.StatusSeeOther, "/login")
		}
		return errUnauthorized
	}
}
