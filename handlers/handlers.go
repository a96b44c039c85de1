// Package handlers turns HTTP requests into calls on Confidant's domain
// packages and renders the answers: one file per area, thin on purpose.
package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/a-h/templ"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/store"
	"confidant/views"
	"confidant/web/webctx"
)

// Assets maps a static file name to its content-hashed URL.
type Assets interface {
	URL(name string) string
}

// Pages builds what every rendered page needs from the request.
type Pages struct {
	Assets Assets
	Shield views.Shield
	// ShieldFor, when set, computes the shield for each request instead.
	ShieldFor func(ctx context.Context) views.Shield
	// Conversations fills the sidebar of signed-in pages; nil leaves it empty.
	Conversations func(ctx context.Context, userID uuid.UUID) *views.SidebarData
}

// Page returns the page frame for the current request.
func (p *Pages) Page(c echo.Context, title, nav string) views.Page {
	page := views.Page{Title: title, Nav: nav, Nonce: webctx.Nonce(c), CSRF: webctx.CSRF(c), Asset: p.Assets.URL, Shield: p.Shield}
	if p.ShieldFor != nil {
		page.Shield = p.ShieldFor(c.Request().Context())
	}
	if _, u, ok := webctx.Session(c); ok {
		page.User = viewUser(u)
		if p.Conversations != nil {
			page.Sidebar = p.Conversations(c.Request().Context(), u.ID)
		}
	}
	return page
}

// Fragment is Page without the sidebar, for partial responses and for
// pages that fill the sidebar themselves.
func (p *Pages) Fragment(c echo.Context, title string) views.Page {
	q := *p
	q.Conversations = nil
	return q.Page(c, title, "")
}

func viewUser(u store.User) *views.User {
	return &views.User{Username: u.Username, DisplayName: u.DisplayName, IsOwner: u.IsOwner}
}

var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes a component with the status only once it rendered in full,
// so a failed render becomes an error rather than half a page.
func render(c echo.Context, status int, comp templ.Component) error {
	buf := bufferPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufferPool.Put(buf)
	ctx := templ.WithNonce(c.Request().Context(), webctx.Nonce(c))
	if err := comp.Render(ctx, buf); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// maxCeremonyBody bounds a WebAuthn response; real ones are a few KB.
const maxCeremonyBody = 64 << 10

// readBody reads a request body up to limit bytes.
func readBody(c echo.Context, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, limit+1))
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "The request could not be read.").SetInternal(err)
	}
	if int64(len(body)) > limit {
		return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge, "That request is too large.")
	}
	return body, nil
}

// decodeJSON reads a small JSON object into v.
func decodeJSON(c echo.Context, v any) error {
	body, err := readBody(c, maxCeremonyBody)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The request was not valid JSON.").SetInternal(err)
	}
	return nil
}

// errUnauthorized is returned to signed-out requests for signed-in routes.
var errUnauthorized = echo.NewHTTPError(http.StatusUnauthorized, "Please sign in again.")

// currentUser returns the signed-in session and user or errUnauthorized.
func currentUser(c echo.Context) (store.Session, store.User, error) {
	sess, u, ok := webctx.Session(c)
	if !ok {
		return store.Session{}, store.User{}, errUnauthorized
	}
	return sess, u, nil
}

// isNotFound reports whether err means the object does not exist for this user.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// userAndID returns the signed-in user and the uuid in path parameter
// name; a malformed id is a not-found, like an id that is not theirs.
func userAndID(c echo.Context, name string) (store.User, uuid.UUID, error) {
	_, user, err := currentUser(c)
	if err != nil {
		return store.User{}, uuid.Nil, err
	}
	id, err := uuid.Parse(c.Param(name))
	if err != nil {
		return store.User{}, uuid.Nil, errNotFound
	}
	return user, id, nil
}

// userAndCeremony returns the signed-in user and the ceremony a finish
// request answers.
func userAndCeremony(c echo.Context) (store.User, uuid.UUID, []byte, error) {
	_, user, err := currentUser(c)
	if err != nil {
		return store.User{}, uuid.Nil, nil, err
	}
	id, body, err := ceremonyInput(c)
	return user, id, body, err
}

// errNotFound is the generic answer for an object that does not exist or
// is not the caller's.
var errNotFound = echo.NewHTTPError(http.StatusNotFound, "That item does not exist or is not yours.")
