package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"confidant/connectors"
	"confidant/store"
)

// confirmTimeout bounds carrying out one confirmed proposal.
const confirmTimeout = 60 * time.Second

// Confirm carries out one of the user's pending proposals, at their click:
// the account's capability is checked again (the policy may have changed
// since the proposal), then the draft is saved or the event created
// through the account's source. Another user's proposal is
// store.ErrNotFound; one already carried out or dismissed is
// store.ErrProposalNotPending. A failure to carry it out is recorded on
// the proposal, for its card, and is not an error; its owner may confirm
// it again.
func (e *Executor) Confirm(ctx context.Context, userID, id uuid.UUID) (store.Proposal, error) {
	p, err := e.proposals.Proposal(ctx, userID, id)
	if err != nil {
		return store.Proposal{}, err
	}
	from := store.ProposalPending
	if p.Status == store.ProposalFailed {
		from = store.ProposalFailed // the owner tries again
	}
	if err := e.proposals.SetProposalStatus(ctx, userID, id, from, store.ProposalExecuting, "", e.opt.Now()); err != nil {
		return e.current(ctx, p, err)
	}
	status, result := store.ProposalDone, ""
	if result, err = e.execute(ctx, p); err != nil {
		status, result = store.ProposalFailed, personMessage(err)
		e.opt.Log.Warn("confirmed proposal not carried out", "proposal", p.ID, "kind", p.Kind, "err", err)
	}
	// The outcome is recorded even when the person's request has gone.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := e.proposals.SetProposalStatus(sctx, userID, id, store.ProposalExecuting, status, result, e.opt.Now()); err != nil {
		return p, fmt.Errorf("confirm proposal: %w", err)
	}
	p.Status, p.Result = status, result
	return p, nil
}

// Dismiss sets one of the user's pending (or failed) proposals aside;
// nothing runs.
func (e *Executor) Dismiss(ctx context.Context, userID, id uuid.UUID) (store.Proposal, error) {
	p, err := e.proposals.Proposal(ctx, userID, id)
	if err != nil {
		return store.Proposal{}, err
	}
	from := store.ProposalPending
	if p.Status == store.ProposalFailed {
		from = store.ProposalFailed
	}
	if err := e.proposals.SetProposalStatus(ctx, userID, id, from, store.ProposalDismissed, "", e.opt.Now()); err != nil {
		return e.current(ctx, p, err)
	}
	p.Status = store.ProposalDismissed
	return p, nil
}

// current returns a proposal as it stands now, with the error that kept
// it from moving, so a card can show where it stands.
func (e *Executor) current(ctx context.Context, p store.Proposal, err error) (store.Proposal, error) {
	if now, rerr := e.proposals.Proposal(ctx, p.UserID, p.ID); rerr == nil {
		p = now
	}
	return p, err
}

// refusal is a reason not to carry a proposal out, in words for its owner.
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }

func (e *Executor) execute(ctx context.Context, p store.Proposal) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, confirmTimeout)
	defer cancel()
	src, info, err := e.reader.Open(ctx, p.UserID, p.ConnectorID)
	if errors.Is(err, store.ErrNotFound) {
		return "", &refusal{"That account is no longer connected."}
	}
	if err != nil {
		return "", fmt.Errorf("open account: %w", err)
	}
	if !allows(info, connectors.CapPropose) {
		return "", &refusal{"That account no longer lets the assistant propose changes."}
	}
	switch p.Kind {
	case store.ProposalReply:
		var d connectors.Draft
		if err := json.Unmarshal([]byte(p.Payload), &d); err != nil {
			return "", fmt.Errorf("reply payload: %w", err)
		}
		saver, ok := src.(connectors.DraftSaver)
		if !ok || !mailKind(info.Kind) {
			return "", &refusal{"That account cannot store drafts."}
		}
		if _, err := saver.SaveDraft(ctx, d); err != nil {
			return "", fmt.Errorf("save draft: %w", err)
		}
		return "Saved to your drafts in " + info.Name + ". It was not sent.", nil
	case store.ProposalEvent:
		var ev connectors.Event
		if err := json.Unmarshal([]byte(p.Payload), &ev); err != nil {
			return "", fmt.Errorf("event payload: %w", err)
		}
		creator, ok := src.(connectors.EventCreator)
		if !ok || !calendarKind(info.Kind) {
			return "", &refusal{"That account cannot create events."}
		}
		if _, err := creator.CreateEvent(ctx, ev); err != nil {
			return "", fmt.Errorf("create event: %w", err)
		}
		return "Added to your calendar in " + info.Name + ".", nil
	}
	return "", fmt.Errorf("unknown proposal kind %q", p.Kind)
}

// personMessage words a failure for the card, without internals.
func personMessage(err error) string {
	var r *refusal
	if errors.As(err, &r) {
		return r.msg
	}
	var ce *connectors.Error
	if errors.As(err, &ce) && ce.Message != "" {
		return "The account refused: " + ce.Message
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "The account did not answer in time. Nothing was changed that we know of; try again later."
	}
	return "It could not be done just now. Nothing was changed that we know of; you can try again."
}

// Description is a proposal as its card shows it.
type Description struct {
	Title  string
	Fields []Field
	Body   string // the draft's text or the event's description
}

// Field is one labelled line of a card.
type Field struct{ Label, Value string }

// Describe words a proposal for its card; times are shown in loc.
func Describe(p store.Proposal, loc *time.Location) Description {
	switch p.Kind {
	case store.ProposalReply:
		var d connectors.Draft
		if json.Unmarshal([]byte(p.Payload), &d) != nil {
			break
		}
		return Description{Title: "Draft a reply", Body: d.Text,
			Fields: []Field{{"To", strings.Join(d.To, ", ")}, {"Subject", d.Subject}}}
	case store.ProposalEvent:
		var ev connectors.Event
		if json.Unmarshal([]byte(p.Payload), &ev) != nil {
			break
		}
		start, end := ev.Start.In(loc), ev.End.In(loc)
		endLayout := "15:04 MST"
		if start.YearDay() != end.YearDay() || start.Year() != end.Year() {
			endLayout = "Mon 2 Jan 2006, 15:04 MST"
		}
		fields := []Field{{"What", ev.Summary}, {"When", start.Format("Mon 2 Jan 2006, 15:04") + " – " + end.Format(endLayout)}}
		if ev.Location != "" {
			fields = append(fields, Field{"Where", ev.Location})
		}
		return Description{Title: "Add an event", Fields: fields, Body: ev.Description}
	}
	return Description{Title: "A proposal that cannot be shown"}
}

// Zone returns the time zone the executor reads the user's days in.
func (e *Executor) Zone(ctx context.Context, userID uuid.UUID) *time.Location {
	return e.opt.Zone(ctx, userID)
}
