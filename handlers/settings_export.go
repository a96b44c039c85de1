package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/auth"
	"confidant/portability/bundle"
	"confidant/portability/exporter"
	"confidant/views"
)

// exportChoice is what a passkey confirms for a browser export; the
// passphrase itself is never stored, not even with the ceremony.
type exportChoice struct {
	Mode                 string `json:"mode"`
	ConnectorCredentials bool   `json:"connector_credentials"`
}

// exportBeginRequest is the export form as app.js sends it to begin.
type exportBeginRequest struct {
	Mode                 string   `json:"mode"`
	Passphrase           string   `json:"passphrase"`
	PassphraseConfirm    string   `json:"passphrase_confirm"`
	Recipient            string   `json:"recipient"`
	ConnectorCredentials checkbox `json:"connector_credentials"`
}

// checkbox is a form checkbox in JSON: "on" (or true) when checked.
type checkbox bool

func (b *checkbox) UnmarshalJSON(data []byte) error {
	var s any
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	switch v := s.(type) {
	case bool:
		*b = checkbox(v)
	case string:
		*b = checkbox(v == "on" || v == "true")
	default:
		*b = false
	}
	return nil
}

// key returns what the form encrypts to, for the chosen mode only: the
// field of the other mode may hold leftovers the person no longer sees.
func (r exportBeginRequest) key() (exportKey, error) {
	switch r.Mode {
	case exportToPassphrase, "":
		if r.Passphrase != r.PassphraseConfirm {
			return exportKey{}, errExportMismatch
		}
		if r.Passphrase == "" {
			return exportKey{}, errExportWeak
		}
		return exportKey{Passphrase: r.Passphrase}, nil
	case exportToRecipient:
		if strings.TrimSpace(r.Recipient) == "" {
			return exportKey{}, errExportRecipient
		}
		return exportKey{Recipient: r.Recipient}, nil
	}
	return exportKey{}, errExportNoKey
}

// Page shows Settings → Export your data.
func (h *Export) Page(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	counts, err := h.Settings.Store.AccountCounts(c.Request().Context(), user.ID)
	if err != nil {
		return err
	}
	d := views.ExportData{ShowInvites: h.Settings.showInvites(user), MinPassphrase: bundle.MinPassphraseLen, Conversations: counts.Conversations,
		Messages: counts.Messages, Memories: counts.Memories, Documents: counts.Documents, Connectors: counts.Connectors,
		Passkeys: counts.Passkeys, APIKeys: counts.APIKeys}
	return render(c, http.StatusOK, views.ExportPage(h.Settings.Pages.Page(c, "Export your data", "export"), d))
}

// Begin checks the form and asks for a passkey.
func (h *Export) Begin(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	var req exportBeginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	k, err := req.key()
	if err != nil {
		return err
	}
	if _, err := h.recipient(k); err != nil {
		return err
	}
	mode, _ := k.mode()
	choice := exportChoice{Mode: mode, ConnectorCredentials: bool(req.ConnectorCredentials)}
	ch, err := h.Settings.Service.BeginStepUpWith(c.Request().Context(), user, auth.ActionExport, choice)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ch)
}

// exportFinishResponse tells app.js to post the form for the download.
type exportFinishResponse struct {
	Grant   string `json:"export_grant"`
	Message string `json:"message"`
}

// Finish verifies the passkey and grants one download.
func (h *Export) Finish(c echo.Context) error {
	user, id, body, err := userAndCeremony(c)
	if err != nil {
		return err
	}
	extra, err := h.Settings.Service.FinishStepUpWith(c.Request().Context(), user, id, auth.ActionExport, body)
	if err != nil {
		return err
	}
	grant, err := h.Settings.Service.GrantExport(c.Request().Context(), user, extra)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, exportFinishResponse{Grant: grant.String(),
		Message: "Your export is downloading. Your browser shows its progress; the file is complete when the download finishes."})
}

// Download redeems a grant and streams the bundle: an ordinary form post,
// so the browser saves the answer as a file and shows its progress.
func (h *Export) Download(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	id, err := uuid.Parse(c.FormValue("grant"))
	if err != nil {
		return auth.ErrCeremonyExpired
	}
	raw, err := h.Settings.Service.TakeExportGrant(c.Request().Context(), user, id)
	if err != nil {
		return err
	}
	var choice exportChoice
	if err := json.Unmarshal(raw, &choice); err != nil {
		return fmt.Errorf("export grant: %w", err)
	}
	req := exportBeginRequest{Mode: c.FormValue("mode"), Passphrase: c.FormValue("passphrase"),
		PassphraseConfirm: c.FormValue("passphrase_confirm"), Recipient: c.FormValue("recipient")}
	k, err := req.key()
	if err != nil {
		return err
	}
	if mode, _ := k.mode(); mode != choice.Mode {
		return errExportChoiceDiffs
	}
	r, err := h.recipient(k)
	if err != nil {
		return err
	}
	return h.stream(c, user, r, exporter.Options{ConnectorCredentials: choice.ConnectorCredentials}, h.Settings.now())
}
