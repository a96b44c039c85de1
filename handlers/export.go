package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/auth"
	"confidant/portability/bundle"
	"confidant/portability/exporter"
	"confidant/store"
)

// AccountExporter writes a user's whole account as a bundle.
type AccountExporter interface {
	Manifest(ctx context.Context, userID uuid.UUID, opts exporter.Options) (bundle.Manifest, error)
	Export(ctx context.Context, userID uuid.UUID, w *bundle.Writer, opts exporter.Options) error
}

// Export serves account exports: POST /api/export to API keys with the
// export scope, and Settings → Export your data, confirmed by a passkey.
// Either way the answer is the age-encrypted bundle, streamed.
type Export struct {
	Settings *Settings
	Exporter AccountExporter
	Log      *slog.Logger
	// Slots bounds how many exports run at once; nil: no bound.
	Slots chan struct{}
	// WorkFactor is scrypt's log2(N) for passphrase exports; 0 is age's
	// default (18). Tests lower it.
	WorkFactor int
}

// Export request errors, shown as they are.
var (
	errExportNoKey       = &auth.Error{Code: "passphrase_or_recipient", Message: "Give a passphrase or an age recipient to encrypt the export to.", Status: http.StatusBadRequest}
	errExportBothKeys    = &auth.Error{Code: "passphrase_or_recipient", Message: "Give a passphrase or an age recipient, not both.", Status: http.StatusBadRequest}
	errExportWeak        = &auth.Error{Code: "weak_passphrase", Message: fmt.Sprintf("Choose a passphrase of at least %d characters.", bundle.MinPassphraseLen), Status: http.StatusBadRequest}
	errExportMismatch    = &auth.Error{Code: "passphrase_mismatch", Message: "The two passphrases are not the same.", Status: http.StatusBadRequest}
	errExportRecipient   = &auth.Error{Code: "invalid_recipient", Message: "That is not an age recipient: it starts with age1 (as age-keygen prints it).", Status: http.StatusBadRequest}
	errExportBusy        = &auth.Error{Code: "export_busy", Message: "Other exports are running. Please try again in a minute.", Status: http.StatusTooManyRequests}
	errExportLongPhrase  = &auth.Error{Code: "weak_passphrase", Message: "That passphrase is too long (1,024 characters at most).", Status: http.StatusBadRequest}
	errExportChoiceDiffs = &auth.Error{Code: "ceremony_expired", Message: "The export you confirmed was for another kind of key. Please start again.", Status: http.StatusBadRequest}
)

// maxPassphrase bounds a passphrase, in bytes.
const maxPassphrase = 1024

// Ways to encrypt an export.
const (
	exportToPassphrase = "passphrase"
	exportToRecipient  = "recipient"
)

// exportKey is what an export is encrypted to, as a request gives it.
type exportKey struct {
	Passphrase string
	Recipient  string
}

// mode names which of the two the request gives, or fails.
func (k exportKey) mode() (string, error) {
	switch {
	case k.Passphrase != "" && strings.TrimSpace(k.Recipient) != "":
		return "", errExportBothKeys
	case k.Passphrase != "":
		return exportToPassphrase, nil
	case strings.TrimSpace(k.Recipient) != "":
		return exportToRecipient, nil
	}
	return "", errExportNoKey
}

// recipient checks the key and returns the age recipient for it.
func (h *Export) recipient(k exportKey) (age.Recipient, error) {
	mode, err := k.mode()
	if err != nil {
		return nil, err
	}
	if mode == exportToRecipient {
		r, err := bundle.ParseRecipient(k.Recipient)
		if err != nil {
			return nil, errExportRecipient
		}
		return r, nil
	}
	if len(k.Passphrase) > maxPassphrase {
		return nil, errExportLongPhrase
	}
	r, err := bundle.PassphraseRecipient(k.Passphrase, h.WorkFactor)
	if errors.Is(err, bundle.ErrWeakPassphrase) {
		return nil, errExportWeak
	}
	return r, err
}

// stream answers with the user's account as an age-encrypted bundle. What
// fails before the first byte is an ordinary error response; after it,
// the connection is cut without the file's end, so it reads as truncated.
func (h *Export) stream(c echo.Context, user store.User, r age.Recipient, opts exporter.Options, now time.Time) error {
	if h.Slots != nil {
		select {
		case h.Slots <- struct{}{}:
			defer func() { <-h.Slots }()
		default:
			return errExportBusy
		}
	}
	ctx := c.Request().Context()
	m, err := h.Exporter.Manifest(ctx, user.ID, opts)
	if err != nil {
		return err
	}
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "application/octet-stream")
	res.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, exportFileName(user, now)))
	res.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(res)
	// A kept-alive connection must not inherit the last write's deadline.
	defer func() { _ = rc.SetWriteDeadline(time.Time{}) }()
	w, err := bundle.NewEncryptedWriter(&deadlineWriter{w: res, rc: rc}, m, r)
	if err == nil {
		err = h.Exporter.Export(ctx, user.ID, w, opts)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		h.Log.Error("export failed after the response began", "err", err, "request_id", res.Header().Get(echo.HeaderXRequestID),
			"client_gone", ctx.Err() != nil)
		// The response is committed: cut the connection so the client
		// does not take a short file for a whole one.
		panic(http.ErrAbortHandler)
	}
	return nil
}

// exportFileName names the download: confidant-USERNAME-DATE.age.
// Usernames are restricted to [a-z0-9._-], so the name needs no quoting.
func exportFileName(u store.User, now time.Time) string {
	return "confidant-" + u.Username + "-" + now.UTC().Format("2006-01-02") + ".age"
}

// stalledClientTimeout is how long one write of an export may wait for a
// client that stopped reading: the export holds a database snapshot and a
// connection until it ends.
const stalledClientTimeout = time.Minute

// deadlineWriter gives each write to the client its own deadline, so a
// client that stops reading ends the export instead of holding it open.
type deadlineWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	// Servers that cannot set deadlines (ErrNotSupported) write without one.
	_ = d.rc.SetWriteDeadline(time.Now().Add(stalledClientTimeout))
	return d.w.Write(p)
}
