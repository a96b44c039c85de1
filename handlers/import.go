package handlers

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/portability/importer"
	"confidant/store"
)

// ImportService is what the import routes need from imports.Service.
type ImportService interface {
	SubmitStream(ctx context.Context, userID uuid.UUID, r io.Reader, passphrase func() (string, error)) (store.Import, error)
	Job(ctx context.Context, userID, id uuid.UUID) (store.Import, error)
	MaxFileSize() int64
}

// Imports serves POST /api/import and the Settings → Import page.
type Imports struct {
	Service  ImportService
	Settings *Settings
}

// maxImportPassphrase bounds the passphrase field.
const maxImportPassphrase = 1024

type apiImportJob struct {
	ID       string             `json:"id"`
	Kind     string             `json:"kind"` // always "import"
	State    string             `json:"state"`
	Format   string             `json:"format"`
	Size     int64              `json:"size"`
	Progress apiImportProgress  `json:"progress"`
	Counts   store.ImportCounts `json:"counts"`
	Error    *apiErrorBody      `json:"error"`
	Created  time.Time          `json:"created_at"`
	Updated  time.Time          `json:"updated_at"`
}

type apiImportProgress struct {
	Done  int `json:"done"`  // conversations handled
	Total int `json:"total"` // conversations in the file, once validated
}

func toAPIImport(imp store.Import) apiImportJob {
	out := apiImportJob{ID: imp.ID.String(), Kind: "import", State: imp.State, Format: imp.Format, Size: imp.Size,
		Progress: apiImportProgress{Done: imp.Position, Total: imp.Total}, Counts: imp.Counts, Created: imp.CreatedAt, Updated: imp.UpdatedAt}
	if imp.State == store.ImportFailed {
		out.Error = &apiErrorBody{Code: imp.ErrorCode, Message: imp.Error}
	}
	return out
}

// APISubmit takes a multipart form with "file" and, for a bundle,
// "passphrase", and answers 202 with the import job to poll.
func (h *Imports) APISubmit(c echo.Context) error {
	imp, err := h.submit(c, apiUser(c).ID)
	if err != nil {
		if e, ok := importer.AsError(err); ok {
			return c.JSON(importStatus(e), apiError{apiErrorBody{Code: e.Code, Message: e.Message}})
		}
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/jobs/"+imp.ID.String())
	return c.JSON(http.StatusAccepted, toAPIImport(imp))
}

// importStatus is the HTTP status of a refused import file.
func importStatus(e *importer.Error) int {
	if errors.Is(e, importer.ErrTooLarge) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusUnprocessableEntity
}

// errNoImportFile refuses a form without a file.
var errNoImportFile = echo.NewHTTPError(http.StatusBadRequest, "Choose a file to import, sent as multipart/form-data in a part named file.")

// submit streams the request's file into a new import, never holding it
// whole and never writing it to disk unsealed. The passphrase may come
// before or after the file. A form the CSRF check already parsed (a
// browser posting without JavaScript) is read from the parsed form.
func (h *Imports) submit(c echo.Context, userID uuid.UUID) (store.Import, error) {
	ctx := c.Request().Context()
	mediaType, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || mediaType != echo.MIMEMultipartForm {
		return store.Import{}, errNoImportFile
	}
	if form := c.Request().MultipartForm; form != nil {
		files := form.File["file"]
		if len(files) == 0 {
			return store.Import{}, errNoImportFile
		}
		f, err := files[0].Open()
		if err != nil {
			return store.Import{}, errNoImportFile
		}
		defer f.Close()
		passphrase := strings.Join(form.Value["passphrase"], "")
		return h.Service.SubmitStream(ctx, userID, f, func() (string, error) { return passphrase, nil })
	}
	mr, err := c.Request().MultipartReader()
	if err != nil {
		return store.Import{}, errNoImportFile
	}
	passphrase := ""
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return store.Import{}, errNoImportFile
		}
		if err != nil {
			return store.Import{}, errNoImportFile
		}
		switch {
		case part.FormName() == "passphrase":
			if passphrase, err = readField(part); err != nil {
				return store.Import{}, err
			}
		case part.FormName() == "file" && part.FileName() != "":
			return h.Service.SubmitStream(ctx, userID, part, func() (string, error) {
				if passphrase != "" {
					return passphrase, nil
				}
				return restPassphrase(mr)
			})
		}
	}
}

// restPassphrase reads the form's parts after the file for a passphrase.
func restPassphrase(mr *multipart.Reader) (string, error) {
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return "", nil
		}
		if err != nil {
			return "", errNoImportFile
		}
		if part.FormName() == "passphrase" {
			return readField(part)
		}
	}
}

func readField(part *multipart.Part) (string, error) {
	b, err := io.ReadAll(io.LimitReader(part, maxImportPassphrase+1))
	if err != nil {
		return "", errNoImportFile
	}
	if len(b) > maxImportPassphrase {
		return "", echo.NewHTTPError(http.StatusBadRequest, "That passphrase is too long.")
	}
	return string(b), nil
}
