package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/chat"
	"confidant/store"
	"confidant/views"
)

// uncheckedAfter is how long a complete answer may wait for its signature
// check before its badge says it was never checked (the check runs
// within seconds; a restart in between loses it).
const uncheckedAfter = 2 * time.Minute

// answerChecks loads the verdicts on the answers among turns; a failure
// leaves the badges out rather than failing the page.
func (h *Chat) answerChecks(ctx context.Context, userID, convID uuid.UUID, turns []chat.Turn) map[uuid.UUID]store.AnswerVerification {
	ids := make([]uuid.UUID, 0, len(turns))
	for _, t := range turns {
		if t.Role == store.RoleAssistant {
			ids = append(ids, t.ID)
		}
	}
	checks, err := h.Store.AnswerVerifications(ctx, userID, convID, ids)
	if err != nil {
		return nil
	}
	return checks
}

// addCheck puts an answer's badge, and the refusal reason, on its view.
func (h *Chat) addCheck(v *views.TurnView, t chat.Turn, checks map[uuid.UUID]store.AnswerVerification) {
	if t.Role != store.RoleAssistant {
		return
	}
	check, ok := checks[t.ID]
	v.Badge = answerBadge(t.Message, check, ok, h.now())
	if ok && t.ErrorCode == chat.CodeBackendUnverified {
		v.Notice = unverifiedNotice(check.Reason)
	}
}

// notice words an answer's end for the live stream, with the refusal
// reason when no backend passed verification.
func (h *Chat) notice(ctx context.Context, userID, msgID uuid.UUID, s chat.Snapshot) string {
	if s.ErrorCode == chat.CodeBackendUnverified {
		if check, err := h.Store.AnswerVerification(ctx, userID, msgID); err == nil {
			return unverifiedNotice(check.Reason)
		}
	}
	return StatusNotice(s.Status, s.ErrorCode)
}

// unverifiedNotice tells the person why their message was not answered.
func unverifiedNotice(reason string) string {
	reason = strings.TrimSuffix(strings.TrimSpace(reason), ".")
	if reason == "" {
		return "The AI backend failed verification. Your message is saved; nothing was sent."
	}
	return "The AI backend failed verification: " + reason + ". Your message is saved; nothing was sent."
}

// answerBadge is the small verdict beside an answer: the stored check,
// or a placeholder that asks again while the check is on its way.
func answerBadge(m store.Message, check store.AnswerVerification, checked bool, now time.Time) *views.AnswerBadge {
	b := &views.AnswerBadge{MessageID: m.ID.String()}
	switch {
	case checked:
		b.State, b.Label, b.Title = badgeWords(check)
	case m.Status == store.StatusStreaming:
		b.WaitEnd = true
	case m.Status == store.StatusComplete && now.Sub(m.UpdatedAt) < uncheckedAfter:
		b.Poll = true
	case m.Status == store.StatusComplete:
		b.State, b.Label, b.Title = "amber", "not checked", "This answer's signature was never checked (the server restarted before the check ran)."
	default:
		return nil
	}
	return b
}

// badgeWords are the state, label and title of a checked answer.
func badgeWords(v store.AnswerVerification) (state, label, title string) {
	switch v.State {
	case store.VerificationGreen:
		return "green", "verified", "Verified: signed by an attested backend running on real hardware. Click for the evidence."
	case store.VerificationRed:
		return "red", "not verified", "Not verified: " + v.Reason + ". Click for details."
	}
	label = "partly verified"
	if v.Simulated || strings.Contains(v.Reason, "simulated") {
		label = "simulated"
	}
	return "amber", label, capitalize(v.Reason) + ". Click for the evidence."
}

func capitalize(s string) string {
	if s == "" {
		return "Not fully verified"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// AnswerBadge renders one answer's badge, for htmx to swap in when the
// answer ends or its check lands. Only the owner gets it.
func (h *Chat) AnswerBadge(c echo.Context) error {
	user, id, err := userAndID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	m, err := h.Store.Message(ctx, user.ID, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && m.Role != store.RoleAssistant) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	check, err := h.Store.AnswerVerification(ctx, user.ID, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	b := answerBadge(m, check, err == nil, h.now())
	if b == nil {
		return c.NoContent(http.StatusOK)
	}
	return render(c, http.StatusOK, views.Badge(*b))
}
