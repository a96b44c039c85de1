package handlers

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
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
	Store    *store.Store // collections
	Now      func() time.Time
}

// maxCollectionName bounds a collection's name.
const maxCollectionName = 80

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
	cols, err := h.Store.Collections(c.Request().Context(), user.ID)
	if err != nil {
		return views.DocumentsData{}, err
	}
	d := views.DocumentsData{MaxSize: h.Service.MaxFileSize()}
	for _, col := range cols {
		d.Collections = append(d.Collections, views.CollectionRow{ID: col.ID.String(), Name: col.Name, Documents: col.Documents})
	}
	for _, doc := range page.Items {
		d.Docs = append(d.Docs, toDocumentRow(doc))
	}
	return d, nil
}

// CreateCollection adds a collection named in the form.
func (h *DocumentsPage) CreateCollection(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(c.FormValue("name"))
	if name == "" || utf8.RuneCountInString(name) > maxCollectionName {
		return echo.NewHTTPError(http.StatusBadRequest, "A collection needs a name of at most 80 characters.")
	}
	now := time.Now()
	if h.Now != nil {
		now = h.Now()
	}
	if err := h.Store.CreateCollection(c.Request().Context(), store.Collection{ID: uuid.New(), UserID: user.ID, Name: name, CreatedAt: now}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/documents?done=collection")
}

// DeleteCollection removes a collection; its documents stay.
func (h *DocumentsPage) DeleteCollection(c echo.Context) error {
	user, id, err := userAndID(c, "id")
	if err != nil {
		return err
	}
	if err := h.Store.DeleteCollection(c.Request().Context(), user.ID, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/documents?done=collection-deleted")
}

// MoveDocument puts a document in the collection chosen in the form ("" for
// none).
func (h *DocumentsPage) MoveDocument(c echo.Context) error {
	user, id, err := userAndID(c, "id")
	if err != nil {
		return err
	}
	var col *uuid.UUID
	if v := c.FormValue("collection"); v != "" {
		cid, err := uuid.Parse(v)
		if err != nil {
			return errNotFound
		}
		col = &cid
	}
	if err := h.Store.SetDocumentCollection(c.Request().Context(), user.ID, id, col); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/documents?done=moved")
}

func uuidString(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

func toDocumentRow(d store.Document) views.DocumentRow {
	return views.DocumentRow{ID: d.ID.String(), Name: d.Name, Type: d.Kind, Size: d.Size, Status: d.Status, Error: d.Error,
		ChunksDone: d.ChunksDone, ChunksTotal: d.ChunksTotal, CreatedAt: d.CreatedAt, Collection: uuidString(d.CollectionID)}
}

// Index shows the page.
func (h *DocumentsPage) Index(c echo.Context) error {
	d, err := h.data(c)
	if err != nil {
		return err
	}
	d.Notice = map[string]string{
		"deleted":            "The document is deleted.",
		"collection":         "Collection created. Move documents into it below, then pick it in a chat.",
		"collection-deleted": "Collection deleted; its documents are still here.",
		"moved":              "Document moved.",
	}[c.QueryParam("done")]
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
