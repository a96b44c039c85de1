package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/connectors/tools"
	"confidant/store"
	"confidant/views"
)

// ProposalActions carries out or sets aside the assistant's proposals
// (connectors/tools.Executor).
type ProposalActions interface {
	Confirm(ctx context.Context, userID, id uuid.UUID) (store.Proposal, error)
	Dismiss(ctx context.Context, userID, id uuid.UUID) (store.Proposal, error)
	// Zone is the user's time zone, for the cards' times.
	Zone(ctx context.Context, userID uuid.UUID) *time.Location
}

// Proposals serves the Confirm and Dismiss buttons of proposal cards.
type Proposals struct {
	Pages   *Pages
	Actions ProposalActions
}

// Confirm carries out one of the user's proposals: the click is the only
// way anything the assistant proposed takes effect.
func (h *Proposals) Confirm(c echo.Context) error {
	return h.act(c, h.Actions.Confirm)
}

// Dismiss sets one of the user's proposals aside.
func (h *Proposals) Dismiss(c echo.Context) error {
	return h.act(c, h.Actions.Dismiss)
}

var errNoProposal = echo.NewHTTPError(http.StatusNotFound, "That proposal does not exist, or is not yours.")

func (h *Proposals) act(c echo.Context, do func(context.Context, uuid.UUID, uuid.UUID) (store.Proposal, error)) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return errNoProposal
	}
	ctx := c.Request().Context()
	p, err := do(ctx, user.ID, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errNoProposal
	case errors.Is(err, store.ErrProposalNotPending):
		// A second click, or one from another tab: nothing runs again, and
		// the card shows where the proposal stands.
	case err != nil:
		return err
	}
	if c.Request().Header.Get("HX-Request") == "" {
		return seeOther(c, "/c/"+p.ConversationID.String())
	}
	return render(c, http.StatusOK, views.ProposalCard(h.Pages.Page(c, "", ""), ProposalView(p, h.Actions.Zone(ctx, user.ID))))
}

// ProposalView words a proposal for its card.
func ProposalView(p store.Proposal, loc *time.Location) views.ProposalView {
	d := tools.Describe(p, loc)
	v := views.ProposalView{ID: p.ID.String(), Title: d.Title, Status: p.Status, Body: d.Body, Result: p.Result}
	for _, f := range d.Fields {
		v.Fields = append(v.Fields, views.ProposalField{Label: f.Label, Value: f.Value})
	}
	return v
}
