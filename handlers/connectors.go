package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/connectors"
	"confidant/store"
)

// ConnectorService is what the connector routes need from
// connectors.Service.
type ConnectorService interface {
	Connect(ctx context.Context, userID uuid.UUID, s connectors.Settings) (connectors.Connection, error)
	List(ctx context.Context, userID uuid.UUID) ([]connectors.Connection, error)
	Get(ctx context.Context, userID, id uuid.UUID) (connectors.Connection, error)
	Sync(ctx context.Context, userID, id uuid.UUID) error
	Disconnect(ctx context.Context, userID, id uuid.UUID) error
}

// Connectors serves /api/connectors.
type Connectors struct {
	Service ConnectorService
}

type apiProgress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

type apiConnector struct {
	ID           string        `json:"id"`
	Kind         string        `json:"kind"`
	Name         string        `json:"name"`
	Status       string        `json:"status"`
	Error        *apiErrorBody `json:"error"`
	LastSync     *time.Time    `json:"last_sync"`
	Items        int           `json:"items"`
	Progress     apiProgress   `json:"progress"`
	Capabilities []string      `json:"capabilities"`
	CreatedAt    time.Time     `json:"created_at"`
}

func toAPIConnector(c connectors.Connection) apiConnector {
	out := apiConnector{ID: c.ID.String(), Kind: string(c.Kind), Name: c.Name, Status: c.Status, LastSync: c.LastSync, Items: c.Items,
		Progress: apiProgress{Done: c.Progress.Done, Total: c.Progress.Total}, Capabilities: []string{}, CreatedAt: c.CreatedAt}
	if c.Status == "error" {
		out.Error = &apiErrorBody{Code: c.ErrorCode, Message: c.Error}
	}
	for _, cap := range c.Capabilities {
		out.Capabilities = append(out.Capabilities, string(cap))
	}
	return out
}

// apiConnectRequest is POST /api/connectors' body.
type apiConnectRequest struct {
	Kind     string `json:"kind"`
	Host     string `json:"host"`
	Port     int    `json:"port"`
	Security string `json:"security"`
	URL      string `json:"url"`
	Username string `json:"username"`
	Password string `json:"password"`
}

// Create connects an account and queues its first sync: 201 with the
// connector, or 400 with what to fix.
func (h *Connectors) Create(c echo.Context) error {
	var req apiConnectRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	kind := connectors.Kind(req.Kind)
	if kind == connectors.KindGmail || kind == connectors.KindMicrosoft {
		return c.JSON(http.StatusBadRequest, apiError{apiErrorBody{Code: connectors.CodeInvalidSettings,
			Message: "Google and Microsoft accounts are connected through their sign-in page, on the Connections page."}})
	}
	conn, err := h.Service.Connect(c.Request().Context(), apiUser(c).ID, connectors.Settings{Kind: kind, Host: req.Host, Port: req.Port,
		Security: connectors.Security(req.Security), URL: req.URL, Username: req.Username, Password: req.Password})
	if err != nil {
		return connectorInputError(c, err)
	}
	return c.JSON(http.StatusCreated, toAPIConnector(conn))
}

// connectorInputError answers a refused connection request with its
// reason, or passes any other error on.
func connectorInputError(c echo.Context, err error) error {
	var ie *connectors.InputError
	if !errors.As(err, &ie) {
		return err
	}
	return c.JSON(http.StatusBadRequest, struct {
		Error apiFieldError `json:"error"`
	}{apiFieldError{Code: ie.Code, Message: ie.Message, Field: ie.Field}})
}

type apiFieldError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// List lists the user's connectors. A user has a handful, so the list is
// one page.
func (h *Connectors) List(c echo.Context) error {
	conns, err := h.Service.List(c.Request().Context(), apiUser(c).ID)
	if err != nil {
		return err
	}
	out := list[apiConnector]{Data: []apiConnector{}}
	for _, conn := range conns {
		out.Data = append(out.Data, toAPIConnector(conn))
	}
	return c.JSON(http.StatusOK, out)
}

// Get returns one connector.
func (h *Connectors) Get(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return connectorNotFound()
	}
	conn, err := h.Service.Get(c.Request().Context(), apiUser(c).ID, id)
	if err != nil {
		return connectorErr(err)
	}
	return c.JSON(http.StatusOK, toAPIConnector(conn))
}

// Sync asks for a sync: 202 whether it starts now, joins one under way,
// or waits for the minimum interval since the last.
func (h *Connectors) Sync(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return connectorNotFound()
	}
	user := apiUser(c).ID
	if err := h.Service.Sync(c.Request().Context(), user, id); err != nil {
		return connectorErr(err)
	}
	conn, err := h.Service.Get(c.Request().Context(), user, id)
	if err != nil {
		return connectorErr(err)
	}
	return c.JSON(http.StatusAccepted, toAPIConnector(conn))
}

// Delete disconnects: the credentials and every synced item are deleted.
func (h *Connectors) Delete(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return connectorNotFound()
	}
	if err := h.Service.Disconnect(c.Request().Context(), apiUser(c).ID, id); err != nil {
		return connectorErr(err)
	}
	return c.NoContent(http.StatusNoContent)
}

func connectorErr(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return connectorNotFound()
	}
	return err
}

// connectorNotFound is the answer for a connector that does not exist or
// is someone else's: the two are not told apart.
func connectorNotFound() error {
	return echo.NewHTTPError(http.StatusNotFound, "That connection does not exist, or is not yours.")
}

// asInputError is errors.As for *connectors.InputError.
func asInputError(err error, target **connectors.InputError) bool { return errors.As(err, target) }
