package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/chat"
	"confidant/store"
	"confidant/views"
)

// Create starts a conversation with its first message.
func (h *Chat) Create(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	model := c.FormValue("model")
	if model != "" && !h.knownModel(c, model) {
		return echo.NewHTTPError(http.StatusBadRequest, "That model is not available.")
	}
	scope, err := h.documentScope(c.Request().Context(), user.ID, c.FormValue("documents"))
	if err != nil {
		return err
	}
	sent, err := h.Service.SendWith(c.Request().Context(), user.ID, uuid.Nil, c.FormValue("content"),
		chat.NewChat{Model: model, Temporary: c.FormValue("temporary") == "1", Documents: scope})
	if err != nil {
		return err
	}
	return seeOther(c, "/c/"+sent.Conversation.ID.String())
}

func (h *Chat) knownModel(c echo.Context, model string) bool {
	for _, m := range h.Models.ModelIDs(c.Request().Context()) {
		if m == model {
			return true
		}
	}
	return false
}

// Send adds a message to a conversation.
func (h *Chat) Send(c echo.Context) error {
	_, user, convID, err := h.convParams(c)
	if err != nil {
		return err
	}
	if _, err := h.Service.Send(c.Request().Context(), user.ID, convID, c.FormValue("content"), ""); err != nil {
		return err
	}
	return seeOther(c, "/c/"+convID.String())
}

// Edit sends a new version of a message.
func (h *Chat) Edit(c echo.Context) error {
	user, convID, msgID, err := h.messageParams(c)
	if err != nil {
		return err
	}
	if _, err := h.Service.Edit(c.Request().Context(), user.ID, msgID, c.FormValue("content")); err != nil {
		return err
	}
	return seeOther(c, "/c/"+convID.String())
}

// Regenerate writes a new version of an answer.
func (h *Chat) Regenerate(c echo.Context) error {
	user, convID, msgID, err := h.messageParams(c)
	if err != nil {
		return err
	}
	if _, err := h.Service.Regenerate(c.Request().Context(), user.ID, msgID); err != nil {
		return err
	}
	return seeOther(c, "/c/"+convID.String())
}

// ShowVersion switches to another version of a turn.
func (h *Chat) ShowVersion(c echo.Context) error {
	user, convID, msgID, err := h.messageParams(c)
	if err != nil {
		return err
	}
	if _, err := h.Service.ShowVersion(c.Request().Context(), user.ID, msgID); err != nil {
		return err
	}
	return seeOther(c, "/c/"+convID.String())
}

// Stop ends a running answer.
func (h *Chat) Stop(c echo.Context) error {
	user, convID, msgID, err := h.messageParams(c)
	if err != nil {
		return err
	}
	if err := h.Service.Stop(c.Request().Context(), user.ID, msgID); err != nil {
		return err
	}
	if wantsJSON(c) || c.Request().Header.Get("HX-Request") != "" {
		return c.NoContent(http.StatusNoContent)
	}
	return seeOther(c, "/c/"+convID.String())
}

// streamEvent is what each server-sent event carries.
type streamEvent struct {
	HTML   string `json:"html"`
	Status string `json:"status"`
	Notice string `json:"notice,omitempty"`
	Text   string `json:"text,omitempty"` // the markdown source, with the last event
	// Memories is the list of memories the answer was given, rendered,
	// with the last event.
	Memories string `json:"memories,omitempty"`
	// Sources is the list of passages the answer cites, rendered, with
	// the last event.
	Sources string `json:"sources,omitempty"`
	// Tools is what the answer did with the user's accounts (the tools it
	// used, its proposal cards), rendered, with the last event.
	Tools string `json:"tools,omitempty"`
}

// Stream sends a running answer as server-sent events: the whole answer
// rendered so far, each time it grows, with the version as event id so a
// reconnecting EventSource (Last-Event-ID) gets only what is newer. Only
// the owner can attach.
//
// Rendering the whole answer costs more as it grows, so it is not done
// for every token: changes that arrive while an event is rendered or
// written are merged into the next one, and events are at least
// minEventGap apart (more while rendering is slow). The first and the last
// event are never held back.
func (h *Chat) Stream(c echo.Context) error {
	user, _, msgID, err := h.messageParams(c)
	if err != nil {
		return err
	}
	last, _ := strconv.Atoi(c.Request().Header.Get("Last-Event-ID"))
	ctx := c.Request().Context()
	newest := make(chan chat.Snapshot, 1) // the newest snapshot not sent yet
	followed := make(chan error, 1)
	go func() {
		followed <- h.Service.Follow(ctx, user.ID, msgID, func(s chat.Snapshot) error {
			select {
			case <-newest: // superseded
			default:
			}
			newest <- s
			return nil
		})
	}()
	w := c.Response()
	started := false
	var notBefore time.Time
	send := func(s chat.Snapshot) error {
		if !started {
			w.Header().Set(echo.HeaderContentType, "text/event-stream")
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("X-Accel-Buffering", "no")
			w.WriteHeader(http.StatusOK)
			started = true
		}
		final := s.Status != store.StatusStreaming
		if !final && s.Version <= last {
			return nil
		}
		t0 := time.Now()
		ev := streamEvent{HTML: string(h.html(s.Content)), Status: s.Status, Notice: h.notice(c.Request().Context(), user.ID, msgID, s)}
		if final {
			ev.Text = s.Content
			ev.Memories, ev.Sources = h.contextHTML(c, user.ID, msgID)
			ev.Tools = h.toolsHTML(c, user.ID, msgID)
		}
		data, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		event := "update"
		if final {
			event = "end"
		}
		if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", s.Version, event, data); err != nil {
			return err
		}
		w.Flush()
		notBefore = time.Now().Add(max(minEventGap, 2*time.Since(t0)))
		return nil
	}
	for {
		select {
		case s := <-newest:
			if wait := time.Until(notBefore); wait > 0 && s.Status == store.StatusStreaming {
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return nil
				}
				select {
				case s = <-newest: // what came in while waiting
				default:
				}
			}
			if err := send(s); err != nil {
				return nil // the client went away
			}
		case err := <-followed:
			select {
			case s := <-newest: // the end state, not sent yet
				if err := send(s); err != nil {
					return nil
				}
			default:
			}
			if !started {
				return err
			}
			if err != nil && ctx.Err() == nil {
				return fmt.Errorf("stream: %w", err)
			}
			return nil
		}
	}
}

// contextHTML renders the memories and sources an answer was given ("" for
// none, or when they cannot be read: the answer matters more).
func (h *Chat) contextHTML(c echo.Context, userID, msgID uuid.UUID) (memories, sources string) {
	turn := []views.TurnView{{ID: msgID.String(), Role: store.RoleAssistant}}
	if err := h.attachContext(c.Request().Context(), userID, turn); err != nil {
		return "", ""
	}
	render := func(comp templ.Component) string {
		var b strings.Builder
		if err := comp.Render(c.Request().Context(), &b); err != nil {
			return ""
		}
		return b.String()
	}
	if len(turn[0].Memories) > 0 {
		memories = render(views.TurnMemories(turn[0].Memories))
	}
	if len(turn[0].Sources) > 0 {
		sources = render(views.TurnSources(turn[0].Sources))
	}
	return memories, sources
}

// toolsHTML renders what an answer did with the user's accounts ("" for
// nothing, or when it cannot be read: the answer matters more).
func (h *Chat) toolsHTML(c echo.Context, userID, msgID uuid.UUID) string {
	turn := []views.TurnView{{ID: msgID.String(), Role: store.RoleAssistant}}
	if err := h.attachContext(c.Request().Context(), userID, turn); err != nil {
		return ""
	}
	if len(turn[0].Activity) == 0 && len(turn[0].Proposals) == 0 {
		return ""
	}
	var b strings.Builder
	if err := views.TurnTools(h.Pages.Page(c, "", ""), turn[0].Activity, turn[0].Proposals).Render(c.Request().Context(), &b); err != nil {
		return ""
	}
	return b.String()
}

// SetDocuments sets which documents a conversation answers from.
func (h *Chat) SetDocuments(c echo.Context) error {
	_, user, convID, err := h.convParams(c)
	if err != nil {
		return err
	}
	scope, err := h.documentScope(c.Request().Context(), user.ID, c.FormValue("documents"))
	if err != nil {
		return err
	}
	if err := h.Store.SetConversationDocuments(c.Request().Context(), user.ID, convID, scope); err != nil {
		return convNotFound(err)
	}
	return seeOther(c, "/c/"+convID.String())
}

// minEventGap is the least time between two events of a running answer.
const minEventGap = 40 * time.Millisecond

// Rename sets a conversation's title.
func (h *Chat) Rename(c echo.Context) error {
	return h.update(c, func(u *store.ConversationUpdate) error {
		title := strings.TrimSpace(c.FormValue("title"))
		if title == "" || len([]rune(title)) > 120 {
			return echo.NewHTTPError(http.StatusBadRequest, "A title has 1 to 120 characters.")
		}
		u.Title = &title
		return nil
	})
}

// Pin pins or unpins a conversation.
func (h *Chat) Pin(c echo.Context) error {
	return h.update(c, func(u *store.ConversationUpdate) error {
		v := c.FormValue("pinned") == "true"
		u.Pinned = &v
		return nil
	})
}

// Archive archives or restores a conversation.
func (h *Chat) Archive(c echo.Context) error {
	return h.update(c, func(u *store.ConversationUpdate) error {
		v := c.FormValue("archived") == "true"
		u.Archived = &v
		return nil
	})
}

func (h *Chat) update(c echo.Context, set func(*store.ConversationUpdate) error) error {
	_, user, convID, err := h.convParams(c)
	if err != nil {
		return err
	}
	var u store.ConversationUpdate
	if err := set(&u); err != nil {
		return err
	}
	if err := h.Store.UpdateConversation(c.Request().Context(), user.ID, convID, u, h.now()); err != nil {
		return convNotFound(err)
	}
	return seeOther(c, "/c/"+convID.String())
}

// SetModel switches the model a conversation's next answers come from.
func (h *Chat) SetModel(c echo.Context) error {
	return h.update(c, func(u *store.ConversationUpdate) error {
		model := c.FormValue("model")
		if !h.knownModel(c, model) {
			return echo.NewHTTPError(http.StatusBadRequest, "That model is not available.")
		}
		u.Model = &model
		return nil
	})
}

// Delete removes a conversation.
func (h *Chat) Delete(c echo.Context) error {
	_, user, convID, err := h.convParams(c)
	if err != nil {
		return err
	}
	if err := h.Store.DeleteConversation(c.Request().Context(), user.ID, convID); err != nil {
		return convNotFound(err)
	}
	return seeOther(c, "/")
}

func convNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return chat.ErrNotFound
	}
	return err
}

func (h *Chat) convParams(c echo.Context) (store.Session, store.User, uuid.UUID, error) {
	sess, user, err := currentUser(c)
	if err != nil {
		return sess, user, uuid.Nil, err
	}
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return sess, user, uuid.Nil, chat.ErrNotFound
	}
	return sess, user, id, nil
}

func (h *Chat) messageParams(c echo.Context) (store.User, uuid.UUID, uuid.UUID, error) {
	_, user, convID, err := h.convParams(c)
	if err != nil {
		return user, uuid.Nil, uuid.Nil, err
	}
	msgID, err := uuid.Parse(c.Param("mid"))
	if err != nil {
		return user, uuid.Nil, uuid.Nil, chat.ErrNotFound
	}
	return user, convID, msgID, nil
}

// seeOther redirects after a form post; htmx requests get HX-Redirect.
func seeOther(c echo.Context, to string) error {
	if c.Request().Header.Get("HX-Request") != "" {
		c.Response().Header().Set("HX-Redirect", to)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, to)
}
