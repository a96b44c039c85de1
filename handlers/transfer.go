package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"confidant/portability/transfer"
	"confidant/store"
	"confidant/views"
)

// Transfer serves fork-to-fork transfer (docs/fork-transfer.md): the
// destination's settings tab and status page, the source's confirmation
// and progress pages, and the two machine endpoints under /v1/transfer.
type Transfer struct {
	Pages    *Pages
	Settings *Settings
	Service  *transfer.Service
}

// transferErrors are the transfer refusals whose texts are written for
// people (they carry verifier details, never user content).
var transferErrors = []error{
	transfer.ErrBadOrigin, transfer.ErrSameOrigin, transfer.ErrPlainOrigin, transfer.ErrBlockedAddress, transfer.ErrOffer, transfer.ErrNotFound,
	transfer.ErrExpired, transfer.ErrBindingMismatch, transfer.ErrNotVerified, transfer.ErrSimulatedPeer, transfer.ErrBadKey,
	transfer.ErrKeyChanged,
}

// transferMessage words err for the person, or says "" when it is not a
// transfer refusal (an internal error, shown generically).
func transferMessage(err error) string {
	for _, known := range transferErrors {
		if errors.Is(err, known) {
			msg := err.Error()
			return strings.ToUpper(msg[:1]) + msg[1:] + "."
		}
	}
	return ""
}

// transferCodes word the error codes a finished transfer records.
var transferCodes = map[string]string{
	transfer.CodeTampered:    "The data that arrived did not authenticate (tampered, cut short or encrypted to another key), so nothing was imported. Start again.",
	transfer.CodeTooLarge:    "The data is larger than this server accepts. Nothing was imported.",
	transfer.CodeImport:      "The data arrived intact but could not be imported. Nothing was imported.",
	transfer.CodeSimulated:   "The source runs in a simulated enclave, and this server does not allow simulated peers. Nothing was imported.",
	transfer.CodeInternal:    "Something went wrong on this server. Nothing was imported. Start again.",
	transfer.CodeExport:      "Your data could not be exported here. Nothing was sent.",
	transfer.CodeUnreachable: "The destination could not be reached, or the connection broke. It imports nothing from a broken transfer; start again from the destination.",
	transfer.CodeRefused:     "The destination refused the data; it imported nothing. Start again from the destination.",
}

func transferCodeText(code string) string {
	if t, ok := transferCodes[code]; ok {
		return t
	}
	return "The transfer failed. Nothing was imported."
}

// Page shows the form that starts bringing data here.
func (h *Transfer) Page(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.TransferPage(h.Pages.Page(c, "Bring my data", "transfer"), views.TransferData{ShowInvites: h.Settings.showInvites(user)}))
}

// Create starts a transfer and shows the link to the source.
func (h *Transfer) Create(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	source := c.FormValue("source")
	created, err := h.Service.Create(c.Request().Context(), user.ID, source)
	if msg := transferMessage(err); msg != "" {
		d := views.TransferData{ShowInvites: h.Settings.showInvites(user), Error: msg, Source: source}
		return render(c, http.StatusBadRequest, views.TransferPage(h.Pages.Page(c, "Bring my data", "transfer"), d))
	}
	if err != nil {
		return err
	}
	// A link, not a redirect: the page's CSP keeps forms on this origin,
	// and the person sees where they are sent.
	d := views.TransferStatusData{ID: created.ID.String(), Source: created.Source, State: store.TransferOffered, Next: created.Next,
		ShowInvites: h.Settings.showInvites(user)}
	return render(c, http.StatusCreated, views.TransferStatusPage(h.Pages.Page(c, "Bring my data", "transfer"), d))
}

// Status shows where the user's incoming transfer stands.
func (h *Transfer) Status(c echo.Context) error {
	user, d, err := h.status(c)
	if err != nil {
		return err
	}
	d.ShowInvites = h.Settings.showInvites(user)
	return render(c, http.StatusOK, views.TransferStatusPage(h.Pages.Page(c, "Bring my data", "transfer"), d))
}

// StatusFragment is the polled part of the status page.
func (h *Transfer) StatusFragment(c echo.Context) error {
	_, d, err := h.status(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.TransferStatus(d))
}

func (h *Transfer) status(c echo.Context) (store.User, views.TransferStatusData, error) {
	user, id, err := userAndID(c, "id")
	if err != nil {
		return user, views.TransferStatusData{}, err
	}
	t, err := h.Service.Incoming(c.Request().Context(), user.ID, id)
	if isNotFound(err) {
		return user, views.TransferStatusData{}, errNotFound
	}
	if err != nil {
		return user, views.TransferStatusData{}, err
	}
	d := views.TransferStatusData{ID: t.ID.String(), Source: t.Source, State: t.State, Result: t.Result}
	now := h.Service.Now()
	switch {
	case t.State == store.TransferOffered && !now.Before(t.ExpiresAt):
		d.State, d.Error = store.TransferFailed, "This transfer expired before the data arrived. Start again."
	case t.State == store.TransferReceiving && now.Sub(t.UpdatedAt) > transfer.StaleAfter:
		// The server stopped while importing; nothing was committed.
		d.State, d.Error = store.TransferFailed, "This transfer was cut off by a restart of this server. Nothing was imported. Start again."
	case t.State == store.TransferFailed:
		d.Error = transferCodeText(t.ErrorCode)
	}
	return user, d, nil
}
