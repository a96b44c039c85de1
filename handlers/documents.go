package handlers

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/rag"
	"confidant/store"
)

// DocumentService is what the documents API needs from rag.Service.
type DocumentService interface {
	Upload(ctx context.Context, userID uuid.UUID, files []rag.Upload) (rag.UploadResult, error)
	Documents(ctx context.Context, userID uuid.UUID, cursor string, limit int) (store.DocumentPage, error)
	Delete(ctx context.Context, userID, id uuid.UUID) error
	Job(ctx context.Context, userID, id uuid.UUID) (rag.JobStatus, error)
	MaxFileSize() int64
}

// Documents serves /api/documents and /api/jobs.
type Documents struct {
	Service DocumentService
}

// MaxUploadFiles is the most files one upload request may carry.
const MaxUploadFiles = 20

type apiDocument struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Type        string        `json:"type"`
	Size        int64         `json:"size"`
	Status      string        `json:"status"`
	Error       *apiErrorBody `json:"error"`
	ChunksTotal int           `json:"chunks_total"`
	ChunksDone  int           `json:"chunks_done"`
	JobID       *string       `json:"job_id,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at"`
}

type apiRejectedDoc struct {
	Name   string       `json:"name"`
	Status string       `json:"status"` // always "rejected"
	Error  apiErrorBody `json:"error"`
}

func toAPIDocument(d store.Document) apiDocument {
	out := apiDocument{ID: d.ID.String(), Name: d.Name, Type: d.Kind, Size: d.Size, Status: d.Status,
		ChunksTotal: d.ChunksTotal, ChunksDone: d.ChunksDone, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	if d.Status == store.DocumentFailed {
		out.Error = &apiErrorBody{Code: d.ErrorCode, Message: d.Error}
	}
	if d.JobID != nil {
		j := d.JobID.String()
		out.JobID = &j
	}
	return out
}

type apiJob struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

// Upload takes one or several multipart "file" parts, answers 202 with the
// job that ingests them and each file's document, or its refusal. Files
// are read in memory, each up to the size limit, never written to disk.
func (h *Documents) Upload(c echo.Context) error {
	files, err := h.readFiles(c)
	if err != nil {
		return err
	}
	res, err := h.Service.Upload(c.Request().Context(), apiUser(c).ID, files)
	if err != nil {
		return err
	}
	docs := make([]any, 0, len(res.Files))
	for _, f := range res.Files {
		if f.Err != nil {
			docs = append(docs, apiRejectedDoc{Name: f.Name, Status: "rejected", Error: apiErrorBody{Code: f.Err.Code, Message: f.Err.Message}})
			continue
		}
		docs = append(docs, toAPIDocument(*f.Document))
	}
	if res.JobID == nil {
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{
			"error":     apiErrorBody{Code: "no_documents", Message: "None of the files could be accepted: see each file's error."},
			"documents": docs,
		})
	}
	return c.JSON(http.StatusAccepted, map[string]any{
		"job":       apiJob{ID: res.JobID.String(), State: rag.JobQueued},
		"documents": docs,
	})
}

// readFiles reads the request's "file" parts; see readUploads.
func (h *Documents) readFiles(c echo.Context) ([]rag.Upload, error) {
	return readUploads(c, h.Service.MaxFileSize())
}

// readUploads reads a request's "file" parts into memory, never to disk.
// A file over limit is kept as its first limit+1 bytes, so the service
// refuses it by name without the rest being held. A form the CSRF check
// already parsed (a browser form posting its token as a field) is read
// from the parsed form, which its body limit keeps in memory.
func readUploads(c echo.Context, limit int64) ([]rag.Upload, error) {
	mediaType, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || mediaType != echo.MIMEMultipartForm {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "Send the files as multipart/form-data, each in a part named file.")
	}
	unreadable := echo.NewHTTPError(http.StatusBadRequest, "The upload could not be read: send it again.")
	tooMany := echo.NewHTTPError(http.StatusRequestEntityTooLarge, "Upload at most "+strconv.Itoa(MaxUploadFiles)+" files at once.")
	var files []rag.Upload
	add := func(name string, r io.Reader) error {
		if len(files) == MaxUploadFiles {
			return tooMany
		}
		data, err := io.ReadAll(io.LimitReader(r, limit+1))
		if err != nil {
			return unreadable
		}
		files = append(files, rag.Upload{Name: name, Content: data})
		return nil
	}
	if form := c.Request().MultipartForm; form != nil {
		for _, fh := range form.File["file"] {
			if fh.Filename == "" {
				continue
			}
			f, err := fh.Open()
			if err != nil {
				return nil, unreadable
			}
			err = add(fh.Filename, f)
			f.Close()
			if err != nil {
				return nil, err
			}
		}
	} else {
		mr, err := c.Request().MultipartReader()
		if err != nil {
			return nil, unreadable
		}
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, unreadable
			}
			if part.FormName() != "file" || part.FileName() == "" {
				continue
			}
			if err := add(part.FileName(), part); err != nil {
				return nil, err
			}
			_, _ = io.Copy(io.Discard, part)
		}
	}
	if len(files) == 0 {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "Choose at least one file to upload.")
	}
	return files, nil
}

// List lists the user's documents with their status, newest first.
func (h *Documents) List(c echo.Context) error {
	limit, err := strconv.Atoi(c.QueryParam("limit"))
	if err != nil || limit <= 0 {
		limit = 50
	}
	page, err := h.Service.Documents(c.Request().Context(), apiUser(c).ID, c.QueryParam("cursor"), min(limit, 200))
	if err != nil {
		return err
	}
	out := list[apiDocument]{Data: []apiDocument{}, NextCursor: page.Next}
	for _, d := range page.Items {
		out.Data = append(out.Data, toAPIDocument(d))
	}
	return c.JSON(http.StatusOK, out)
}

// Delete removes one of the user's documents with its chunks and vectors.
func (h *Documents) Delete(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return documentNotFound()
	}
	if err := h.Service.Delete(c.Request().Context(), apiUser(c).ID, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return documentNotFound()
		}
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Job reports an upload batch: its state, counts, and each document.
func (h *Documents) Job(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return documentNotFound()
	}
	st, err := h.Service.Job(c.Request().Context(), apiUser(c).ID, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return documentNotFound()
		}
		return err
	}
	out := struct {
		ID          string        `json:"id"`
		State       string        `json:"state"`
		Total       int           `json:"documents_total"`
		Ready       int           `json:"documents_ready"`
		Failed      int           `json:"documents_failed"`
		ChunksDone  int           `json:"chunks_done"`
		ChunksTotal int           `json:"chunks_total"`
		Error       *apiErrorBody `json:"error"`
		Documents   []apiDocument `json:"documents"`
	}{ID: st.ID.String(), State: st.State, Total: st.Total, Ready: st.Ready, Failed: st.Failed,
		ChunksDone: st.ChunksDone, ChunksTotal: st.ChunksTotal, Documents: []apiDocument{}}
	if st.State == rag.JobFailed {
		out.Error = &apiErrorBody{Code: "all_failed", Message: "No document of this upload could be ingested: see each document's error."}
	}
	for _, d := range st.Documents {
		out.Documents = append(out.Documents, toAPIDocument(d))
	}
	return c.JSON(http.StatusOK, out)
}

// documentNotFound is the answer for a document or job that does not
// exist or belongs to someone else: the two are not told apart.
func documentNotFound() error {
	return echo.NewHTTPError(http.StatusNotFound, "That document or job does not exist, or is not yours.")
}
