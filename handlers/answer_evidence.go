package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"confidant/store"
	"confidant/views"
)

// AnswerEvidence shows the evidence for one of the person's answers: the
// backend that wrote it, its signature, what the signature covers and the
// backend's attestation verdict. Anyone else gets a not-found.
func (h *Chat) AnswerEvidence(c echo.Context) error {
	user, id, err := userAndID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	m, err := h.Store.Message(ctx, user.ID, id)
	if err != nil {
		if isNotFound(err) {
			return errNotFound
		}
		return err
	}
	if m.Role != store.RoleAssistant {
		return errNotFound
	}
	d := views.AnswerEvidenceData{MessageID: m.ID.String(), ConvID: m.ConversationID.String(), Model: m.Model}
	v, err := h.Store.AnswerVerification(ctx, user.ID, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.Pending = true
	case err != nil:
		return err
	default:
		d.State, d.Label, _ = badgeWords(v)
		d.Reason, d.Backend, d.SigningAddress, d.SigningAlgo = v.Reason, v.Backend, v.SigningAddress, v.SigningAlgo
		d.Signature, d.Text, d.CheckedAt, d.ReportVerifiedAt, d.ReportState = v.Signature, v.Text, v.CheckedAt, v.ReportVerifiedAt, v.ReportState
		if parts := strings.Split(v.Text, ":"); len(parts) >= 2 {
			d.RequestHash, d.ResponseHash = parts[len(parts)-2], parts[len(parts)-1]
		}
		for _, rc := range v.ReportChecks {
			d.Checks = append(d.Checks, views.CheckView{Name: rc.Name, Status: rc.Status, Detail: rc.Detail})
		}
		d.Facts = factViews(v.ReportFacts)
	}
	return render(c, http.StatusOK, views.AnswerEvidencePage(h.Pages.Page(c, "Evidence for an answer", ""), d))
}
