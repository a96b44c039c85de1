package handlers

import (
	"errors"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/store"
)

// Jobs serves GET /api/jobs/{id} for every kind of background job: an
// import's when the id is one, else a document upload's, whose response
// is unchanged.
type Jobs struct {
	Imports   ImportService // nil: no imports
	Documents *Documents    // nil: no document uploads
}

// Show reports one of the user's jobs; another user's is not found.
func (h *Jobs) Show(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return documentNotFound()
	}
	if h.Imports != nil {
		imp, err := h.Imports.Job(c.Request().Context(), apiUser(c).ID, id)
		if err == nil {
			return c.JSON(http.StatusOK, toAPIImport(imp))
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if h.Documents != nil {
		return h.Documents.Job(c)
	}
	return echo.NewHTTPError(http.StatusNotFound, "That job does not exist, or is not yours.")
}
