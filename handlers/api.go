package handlers

import (
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/attestation"
	"confidant/auth"
	"confidant/chat"
	"confidant/store"
	"confidant/web/webctx"
)

// API serves the JSON API under /api and the OpenAI-compatible API under
// /v1, to bearer API keys and to the signed-in browser.
type API struct {
	Auth   *auth.Service
	Chat   *chat.Service
	Store  *store.Store
	Models Models
	Now    func() time.Time
	Log    *slog.Logger
	// Signatures records what GET /v1/signature/{id} signs; nil records
	// nothing.
	Signatures *attestation.Responses
}

// browserScopes are what a signed-in browser may do through the API;
// export needs a key made for it.
func browserScopes() []string { return []string{auth.ScopeChat, auth.ScopeRead, auth.ScopeWrite} }

// Authenticate is middleware: a bearer API key, or else the browser
// session (whose unsafe requests already passed the CSRF check).
func (h *API) Authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if authz := c.Request().Header.Get(echo.HeaderAuthorization); authz != "" {
			secret, ok := strings.CutPrefix(authz, "Bearer ")
			if !ok {
				return auth.ErrNoAPIKey
			}
			k, user, err := h.Auth.AuthenticateAPIKey(c.Request().Context(), strings.TrimSpace(secret))
			if err != nil {
				return err
			}
			webctx.SetAPI(c, user, k.Scopes)
			return next(c)
		}
		if _, user, ok := webctx.Session(c); ok {
			webctx.SetAPI(c, user, browserScopes())
			return next(c)
		}
		return auth.ErrNoAPIKey
	}
}

// RequireScope is middleware that refuses requests without scope.
func RequireScope(scope string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			_, scopes, ok := webctx.API(c)
			if !ok {
				return auth.ErrNoAPIKey
			}
			if !slices.Contains(scopes, scope) {
				return auth.ErrScopeDenied
			}
			return next(c)
		}
	}
}

func apiUser(c echo.Context) store.User {
	u, _, _ := webctx.API(c)
	return u
}

// list is the DESIGN.md shape of a paginated list.
type list[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor"`
}

type apiConversation struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Model     string    `json:"model"`
	Pinned    bool      `json:"pinned"`
	Archived  bool      `json:"archived"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type apiMessage struct {
	ID        string    `json:"id"`
	ParentID  *string   `json:"parent_id"`
	Role      string    `json:"role"`
	Content   string    `json:"content"`
	Status    string    `json:"status"`
	Model     string    `json:"model,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func toAPIConversation(c store.Conversation) apiConversation {
	return apiConversation{ID: c.ID.String(), Title: c.Title, Model: c.Model, Pinned: c.Pinned, Archived: c.Archived, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

// Conversations lists the user's conversations with keyset pagination.
func (h *API) Conversations(c echo.Context) error {
	limit, err := strconv.Atoi(c.QueryParam("limit"))
	if err != nil || limit <= 0 {
		limit = 50
	}
	limit = min(limit, 200)
	archived := c.QueryParam("archived") == "true"
	page, err := h.Store.ListConversations(c.Request().Context(), apiUser(c).ID, archived, c.QueryParam("cursor"), limit)
	if err != nil {
		return err
	}
	out := list[apiConversation]{Data: []apiConversation{}, NextCursor: page.Next}
	for _, conv := range page.Items {
		out.Data = append(out.Data, toAPIConversation(conv))
	}
	return c.JSON(http.StatusOK, out)
}

// Conversation returns one conversation with every message of every branch.
func (h *API) Conversation(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return chat.ErrNotFound
	}
	user := apiUser(c)
	conv, err := h.Store.Conversation(c.Request().Context(), user.ID, id)
	if err != nil {
		return convNotFound(err)
	}
	msgs, err := h.Store.Messages(c.Request().Context(), user.ID, id)
	if err != nil {
		return err
	}
	out := struct {
		apiConversation
		Messages []apiMessage `json:"messages"`
	}{apiConversation: toAPIConversation(conv), Messages: []apiMessage{}}
	for _, m := range msgs {
		am := apiMessage{ID: m.ID.String(), Role: m.Role, Content: m.Content, Status: m.Status, Model: m.Model, CreatedAt: m.CreatedAt}
		if m.ParentID != nil {
			p := m.ParentID.String()
			am.ParentID = &p
		}
		out.Messages = append(out.Messages, am)
	}
	return c.JSON(http.StatusOK, out)
}
