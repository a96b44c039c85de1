package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/memory"
	"confidant/store"
	"confidant/views"
)

// Memories serves the memory page under settings and /api/memories.
type Memories struct {
	Settings *Settings
	Service  *memory.Service
	Store    *store.Store
}

const memoryPageSize = 50

var errNoMemory = echo.NewHTTPError(http.StatusNotFound, "That memory does not exist, or is not yours.")

// memoryError words the memory service's refusals for people.
func memoryError(err error) error {
	switch {
	case errors.Is(err, memory.ErrEmpty):
		return echo.NewHTTPError(http.StatusBadRequest, "Write what should be remembered first.")
	case errors.Is(err, memory.ErrTooLong):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "A memory has at most "+strconv.Itoa(memory.MaxLen)+" characters: keep it to one fact.")
	case errors.Is(err, store.ErrNotFound):
		return errNoMemory
	}
	return err
}

// Page lists, searches, adds, edits and deletes the user's memories.
func (h *Memories) Page(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	d := views.MemoryData{ShowInvites: h.Settings.showInvites(user), Query: c.QueryParam("q"), Max: memory.MaxLen}
	if d.Paused, err = h.Store.MemoryPaused(ctx, user.ID); err != nil {
		return err
	}
	var items []store.Memory
	if d.Query != "" {
		if items, err = h.Store.SearchMemories(ctx, user.ID, d.Query, 200); err != nil {
			return err
		}
	} else {
		page, err := h.Store.Memories(ctx, user.ID, c.QueryParam("cursor"), memoryPageSize)
		if err != nil {
			return err
		}
		items, d.Next = page.Items, page.Next
		d.Continued = c.QueryParam("cursor") != ""
	}
	for _, m := range items {
		d.Memories = append(d.Memories, memoryRow(m))
	}
	d.Notice = map[string]string{
		"added":   "Remembered.",
		"merged":  "Updated a memory that said nearly the same.",
		"saved":   "Saved.",
		"deleted": "Forgotten.",
		"paused":  "Memory is paused: new chats neither use nor add memories.",
		"resumed": "Memory is on again.",
	}[c.QueryParam("done")]
	return render(c, http.StatusOK, views.MemoryPage(h.Settings.Pages.Page(c, "Memory", "memory"), d))
}

func memoryRow(m store.Memory) views.MemoryRow {
	r := views.MemoryRow{ID: m.ID.String(), Text: m.Text, Kind: m.Kind, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, LastUsedAt: m.LastUsedAt}
	if m.SourceConversationID != nil {
		r.Source = "/c/" + m.SourceConversationID.String()
	}
	return r
}

func memoryDone(c echo.Context, done string) error {
	return c.Redirect(http.StatusSeeOther, "/settings/memory?done="+url.QueryEscape(done))
}

// Add remembers what the user typed on the page.
func (h *Memories) Add(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	added, err := h.Service.Add(c.Request().Context(), user.ID, c.FormValue("text"), memory.Source{Kind: store.MemoryManual})
	if err != nil {
		return memoryError(err)
	}
	if added.Merged {
		return memoryDone(c, "merged")
	}
	return memoryDone(c, "added")
}

// memoryParams returns the signed-in user and the memory id of the path.
func memoryParams(c echo.Context) (store.User, uuid.UUID, error) {
	user, id, err := userAndID(c, "id")
	if errors.Is(err, errNotFound) {
		return user, id, errNoMemory
	}
	return user, id, err
}

// Edit rewrites one memory.
func (h *Memories) Edit(c echo.Context) error {
	user, id, err := memoryParams(c)
	if err != nil {
		return err
	}
	if _, err := h.Service.Edit(c.Request().Context(), user.ID, id, c.FormValue("text")); err != nil {
		return memoryError(err)
	}
	return memoryDone(c, "saved")
}

// Delete forgets one memory.
func (h *Memories) Delete(c echo.Context) error {
	user, id, err := memoryParams(c)
	if err != nil {
		return err
	}
	if err := h.Service.Delete(c.Request().Context(), user.ID, id); err != nil {
		return memoryError(err)
	}
	return memoryDone(c, "deleted")
}

// Pause pauses or resumes memory (form field paused=1|0).
func (h *Memories) Pause(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	paused := c.FormValue("paused") == "1"
	if err := h.Store.SetMemoryPaused(c.Request().Context(), user.ID, paused, h.Settings.now()); err != nil {
		return err
	}
	if paused {
		return memoryDone(c, "paused")
	}
	return memoryDone(c, "resumed")
}

// apiMemory is a memory in the JSON API.
type apiMemory struct {
	ID                   string     `json:"id"`
	Text                 string     `json:"text"`
	Kind                 string     `json:"kind"`
	SourceConversationID *string    `json:"source_conversation_id"`
	CreatedAt            time.Time  `json:"created_at"`
	UpdatedAt            time.Time  `json:"updated_at"`
	LastUsedAt           *time.Time `json:"last_used_at"`
	Merged               bool       `json:"merged,omitempty"`
}

func toAPIMemory(m store.Memory) apiMemory {
	out := apiMemory{ID: m.ID.String(), Text: m.Text, Kind: m.Kind, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, LastUsedAt: m.LastUsedAt}
	if m.SourceConversationID != nil {
		s := m.SourceConversationID.String()
		out.SourceConversationID = &s
	}
	return out
}

// APIList answers GET /api/memories (keyset pagination; ?q= searches).
func (h *Memories) APIList(c echo.Context) error {
	user := apiUser(c)
	ctx := c.Request().Context()
	out := list[apiMemory]{Data: []apiMemory{}}
	if q := c.QueryParam("q"); q != "" {
		items, err := h.Store.SearchMemories(ctx, user.ID, q, 200)
		if err != nil {
			return err
		}
		for _, m := range items {
			out.Data = append(out.Data, toAPIMemory(m))
		}
		return c.JSON(http.StatusOK, out)
	}
	limit, err := strconv.Atoi(c.QueryParam("limit"))
	if err != nil || limit <= 0 {
		limit = 50
	}
	page, err := h.Store.Memories(ctx, user.ID, c.QueryParam("cursor"), min(limit, 200))
	if err != nil {
		return err
	}
	out.NextCursor = page.Next
	for _, m := range page.Items {
		out.Data = append(out.Data, toAPIMemory(m))
	}
	return c.JSON(http.StatusOK, out)
}

type memoryBody struct {
	Text string `json:"text"`
}

// APIAdd answers POST /api/memories {"text": …}: 201 with the memory, or
// 200 with "merged": true when it updated a near-duplicate.
func (h *Memories) APIAdd(c echo.Context) error {
	var body memoryBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	added, err := h.Service.Add(c.Request().Context(), apiUser(c).ID, body.Text, memory.Source{Kind: store.MemoryManual})
	if err != nil {
		return memoryError(err)
	}
	out := toAPIMemory(added.Memory)
	if added.Merged {
		out.Merged = true
		return c.JSON(http.StatusOK, out)
	}
	return c.JSON(http.StatusCreated, out)
}

// APIEdit answers PATCH /api/memories/{id} {"text": …}.
func (h *Memories) APIEdit(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return errNoMemory
	}
	var body memoryBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	m, err := h.Service.Edit(c.Request().Context(), apiUser(c).ID, id, body.Text)
	if err != nil {
		return memoryError(err)
	}
	return c.JSON(http.StatusOK, toAPIMemory(m))
}

// APIDelete answers DELETE /api/memories/{id} with 204.
func (h *Memories) APIDelete(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return errNoMemory
	}
	if err := h.Service.Delete(c.Request().Context(), apiUser(c).ID, id); err != nil {
		return memoryError(err)
	}
	return c.NoContent(http.StatusNoContent)
}
