package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"confidant/rag"
	"confidant/store"
	"confidant/views"
)

// DocumentsPage serves the Documents page: list with live progress,
// multi-file upload (a plain form, drag and drop on top), delete.
type DocumentsPage struct {
	Pages    *Pages
	Service  DocumentService
	Passages Searcher
}

// pageDocuments is how many documents the page shows.
const pageDocuments = 200

func (h *DocumentsPage) data(c echo.Context) (views.DocumentsData, error) {
	_, user, err := currentUser(c)
	if err != nil {
		return views.DocumentsData{}, err
	}
	page, err := h.Service.Documents(c.Request().Context(), user.ID, "", pageDocuments)
	if err != nil {
		return views.DocumentsData{}, err
	}
	d := views.DocumentsData{MaxSize: h.Service.MaxFileSize()}
	for _, doc := range page.Items {
		d.Docs = append(d.Docs, toDocumentRow(doc))
	}
	return d, nil
}

func toDocumentRow(d store.Document) views.DocumentRow {
	return views.DocumentRow{ID: d.ID.String(), Name: d.Name, Type: d.Kind, Size: d.Size, Status: d.Status, Error: d.Error,
		ChunksDone: d.ChunksDone, ChunksTotal: d.ChunksTotal, CreatedAt: d.CreatedAt}
}

// Index shows the page.
func (h *DocumentsPage) Index(c echo.Context) error {
	d, err := h.data(c)
	if err != nil {
		return err
	}
	if c.QueryParam("done") == "deleted" {
		d.Notice = "The document is deleted."
	}
	if q := strings.TrimSpace(c.QueryParam("q")); q != "" && len(q) <= maxQueryLength {
		_, user, _ := currentUser(c)
		results, err := h.Passages.Search(c.Request().Context(), user.ID, q, rag.SearchOptions{Limit: 10})
		if err != nil {
			return err
		}
		d.Query = q
		for _, r := range results {
			d.Results = append(d.Results, views.PassageHit{ChunkID: r.ChunkID.String(), DocumentName: r.DocumentName, Heading: r.Heading, Text: r.Text})
		}
	}
	return render(c, http.StatusOK, views.DocumentsPage(h.Pages.Page(c, "Documents", ""), d))
}

// List is the list alone, which the page polls while documents are being
// ingested.
func (h *DocumentsPage) List(c echo.Context) error {
	d, err := h.data(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.DocumentList(h.Pages.Fragment(c, "Documents"), d))
}

// Upload takes the form's files, queues those that pass and shows the page
// with any refusals named.
func (h *DocumentsPage) Upload(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	files, err := readUploads(c, h.Service.MaxFileSize())
	if err != nil {
		return err
	}
	res, err := h.Service.Upload(c.Request().Context(), user.ID, files)
	if err != nil {
		return err
	}
	var rejected []views.RejectedFile
	for _, f := range res.Files {
		if f.Err != nil {
			rejected = append(rejected, views.RejectedFile{Name: f.Name, Message: f.Err.Message})
		}
	}
	if len(rejected) == 0 {
		return c.Redirect(http.StatusSeeOther, "/documents")
	}
	d, err := h.data(c)
	if err != nil {
		return err
	}
	d.Rejected = rejected
	status := http.StatusOK
	if res.JobID == nil {
		status = http.StatusUnprocessableEntity
	}
	return render(c, status, views.DocumentsPage(h.Pages.Page(c, "Documents", ""), d))
}

// Delete removes a document after the confirm dialog.
func (h *DocumentsPage) Delete(c echo.Context) error {
	user, id, err := userAndID(c, "id")
	if err != nil {
		return err
	}
	if err := h.Service.Delete(c.Request().Context(), user.ID, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/documents?done=deleted")
}

// Passage shows one passage of a document: where a citation leads.
func (h *DocumentsPage) Passage(c echo.Context) error {
	user, id, err := userAndID(c, "id")
	if err != nil {
		return err
	}
	r, err := h.Passages.Passage(c.Request().Context(), user.ID, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		return err
	}
	d := views.PassageData{DocumentName: r.DocumentName, Heading: r.Heading, Text: r.Text, Ordinal: r.Ordinal}
	return render(c, http.StatusOK, views.PassagePage(h.Pages.Page(c, r.DocumentName, ""), d))
}
