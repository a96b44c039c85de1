// Package webctx carries request-scoped values between Confidant's
// middleware and its handlers: the CSP nonce, the CSRF token and the
// signed-in session.
package webctx

import (
	"github.com/labstack/echo/v4"

	"confidant/store"
)

const (
	keyNonce   = "confidant.nonce"
	keySession = "confidant.session"
	keyUser    = "confidant.user"
	// KeyCSRF is where echo's CSRF middleware leaves the token.
	KeyCSRF = "confidant.csrf"
)

// SetNonce records the response's CSP nonce.
func SetNonce(c echo.Context, nonce string) { c.Set(keyNonce, nonce) }

// Nonce returns the response's CSP nonce.
func Nonce(c echo.Context) string { s, _ := c.Get(keyNonce).(string); return s }

// CSRF returns the CSRF token for forms and fetches.
func CSRF(c echo.Context) string { s, _ := c.Get(KeyCSRF).(string); return s }

// SetSession records the signed-in session and user.
func SetSession(c echo.Context, sess store.Session, user store.User) {
	c.Set(keySession, sess)
	c.Set(keyUser, user)
}

// Session returns the signed-in session and user; ok is false when signed out.
func Session(c echo.Context) (sess store.Session, user store.User, ok bool) {
	sess, ok = c.Get(keySession).(store.Session)
	if !ok {
		return store.Session{}, store.User{}, false
	}
	user, ok = c.Get(keyUser).(store.User)
	return sess, user, ok
}

const (
	keyAPIUser   = "confidant.api_user"
	keyAPIScopes = "confidant.api_scopes"
)

// SetAPI records the user an API request acts for and the scopes it holds.
func SetAPI(c echo.Context, user store.User, scopes []string) {
	c.Set(keyAPIUser, user)
	c.Set(keyAPIScopes, scopes)
}

// API returns the user and scopes of an API request; ok is false when the
// request was not authenticated for the API.
func API(c echo.Context) (user store.User, scopes []string, ok bool) {
	user, ok = c.Get(keyAPIUser).(store.User)
	scopes, _ = c.Get(keyAPIScopes).([]string)
	return user, scopes, ok
}
