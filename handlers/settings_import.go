package handlers

import (
	"errors"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/portability/importer"
	"confidant/store"
	"confidant/views"
)

// ImportPage shows the import form, and an import's progress when the
// address names one (?job=ID, where the form leads without JavaScript).
func (h *Imports) ImportPage(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	d := h.pageData(user)
	if raw := c.QueryParam("job"); raw != "" {
		job, err := h.job(c, user.ID, raw)
		if err != nil {
			return err
		}
		d.Job = &job
	}
	return render(c, http.StatusOK, views.ImportPage(h.Settings.Pages.Page(c, "Import", "import"), d))
}

// ImportSubmit starts an import from the page's form: with htmx it
// answers the progress fragment (or the refusal, in plain words), else it
// leads to the page showing the job.
func (h *Imports) ImportSubmit(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	htmx := c.Request().Header.Get("HX-Request") != ""
	imp, err := h.submit(c, user.ID)
	if err != nil {
		msg := ""
		if e, ok := importer.AsError(err); ok {
			msg = e.Message
		} else if he := (*echo.HTTPError)(nil); errors.As(err, &he) && he.Code < 500 {
			msg, _ = he.Message.(string)
		} else {
			return err
		}
		if htmx {
			// htmx swaps only 2xx answers; the refusal is the answer here.
			return render(c, http.StatusOK, views.ImportStatus(views.ImportJob{State: store.ImportFailed, Error: msg}))
		}
		d := h.pageData(user)
		d.Error = msg
		return render(c, http.StatusUnprocessableEntity, views.ImportPage(h.Settings.Pages.Page(c, "Import", "import"), d))
	}
	if htmx {
		return render(c, http.StatusOK, views.ImportStatus(toViewImport(imp)))
	}
	return c.Redirect(http.StatusSeeOther, "/settings/import?job="+imp.ID.String())
}

// ImportJob is the progress fragment the page polls.
func (h *Imports) ImportJob(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	job, err := h.job(c, user.ID, c.Param("id"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ImportStatus(job))
}

func (h *Imports) job(c echo.Context, userID uuid.UUID, raw string) (views.ImportJob, error) {
	notFound := echo.NewHTTPError(http.StatusNotFound, "That import does not exist, or is not yours.")
	id, err := uuid.Parse(raw)
	if err != nil {
		return views.ImportJob{}, notFound
	}
	imp, err := h.Service.Job(c.Request().Context(), userID, id)
	if errors.Is(err, store.ErrNotFound) {
		return views.ImportJob{}, notFound
	}
	if err != nil {
		return views.ImportJob{}, err
	}
	return toViewImport(imp), nil
}

func (h *Imports) pageData(user store.User) views.ImportData {
	return views.ImportData{ShowInvites: h.Settings.showInvites(user), MaxSizeMiB: h.Service.MaxFileSize() >> 20}
}

func toViewImport(imp store.Import) views.ImportJob {
	n := imp.Counts
	return views.ImportJob{ID: imp.ID.String(), State: imp.State, FormatLabel: importer.Format(imp.Format).Label(),
		Done: imp.Position, Total: imp.Total,
		Conversations: n.Conversations, ConversationsSkipped: n.ConversationsSkipped, Empty: n.ConversationsEmpty,
		Messages: n.Messages, MessagesSkipped: n.MessagesSkipped, Memories: n.Memories, Documents: n.Documents,
		Collections: n.Collections, Settings: n.Settings, CredentialsSkipped: n.CredentialsSkipped, ConnectorsSkipped: n.ConnectorsSkipped, Connectors: n.Connectors, Error: imp.Error}
}
