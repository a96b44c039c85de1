package handlers

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/chat"
	"confidant/connectors/tools"
	"confidant/store"
	"confidant/views"
)

// Markdown renders untrusted text to sanitized HTML.
type Markdown interface {
	Render(src string) (template.HTML, error)
}

// Models lists the models the backends offer.
type Models interface {
	ModelIDs(ctx context.Context) []string
}

// Chat serves conversations: pages, sends, streams and the sidebar list.
type Chat struct {
	Pages    *Pages
	Service  *chat.Service
	Store    *store.Store
	Markdown Markdown
	Models   Models
	Now      func() time.Time
	// Documents lists the user's documents a chat can answer from; nil
	// when documents are off.
	Documents DocumentLister
	// Proposals words the times of proposal cards; nil when no account
	// can be connected.
	Proposals ProposalActions
}

// DocumentLister lists a user's documents (rag.Service).
type DocumentLister interface {
	Documents(ctx context.Context, userID uuid.UUID, cursor string, limit int) (store.DocumentPage, error)
}

// maxDocumentChoices bounds the documents offered in a chat's picker.
const maxDocumentChoices = 200

// documentChoices are the user's collections and ready documents, for
// the chat's picker; collections come first, their values prefixed with
// chat.CollectionScope.
func (h *Chat) documentChoices(ctx context.Context, userID uuid.UUID) ([]views.DocChoice, error) {
	if h.Documents == nil {
		return nil, nil
	}
	cols, err := h.Store.Collections(ctx, userID)
	if err != nil {
		return nil, err
	}
	page, err := h.Documents.Documents(ctx, userID, "", maxDocumentChoices)
	if err != nil {
		return nil, err
	}
	var out []views.DocChoice
	for _, c := range cols {
		out = append(out, views.DocChoice{ID: chat.CollectionScope + c.ID.String(), Name: c.Name, Collection: true})
	}
	for _, d := range page.Items {
		if d.Status == store.DocumentReady {
			out = append(out, views.DocChoice{ID: d.ID.String(), Name: d.Name})
		}
	}
	return out, nil
}

// documentScope checks a chosen scope: "", "all", one of the user's
// collections or one of their ready documents.
func (h *Chat) documentScope(ctx context.Context, userID uuid.UUID, scope string) (string, error) {
	if scope == "" || scope == "all" {
		return scope, nil
	}
	unavailable := echo.NewHTTPError(http.StatusBadRequest, "That document or collection is not available: it may still be processing, or it was deleted.")
	if h.Documents == nil {
		return "", unavailable
	}
	if col, ok := strings.CutPrefix(scope, chat.CollectionScope); ok {
		cols, err := h.Store.Collections(ctx, userID)
		if err != nil {
			return "", err
		}
		for _, c := range cols {
			if c.ID.String() == col {
				return scope, nil
			}
		}
		return "", unavailable
	}
	id, err := uuid.Parse(scope)
	if err != nil {
		return "", unavailable
	}
	doc, err := h.Store.Document(ctx, userID, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && doc.Status != store.DocumentReady) {
		return "", unavailable
	}
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

func (h *Chat) now() time.Time {
	if h.Now == nil {
		return time.Now()
	}
	return h.Now()
}

const (
	sidebarPage = 30
	// turnWindow is how many turns a conversation page renders at first;
	// earlier ones load as the person scrolls up.
	turnWindow = 40
)

// New shows an empty chat.
func (h *Chat) New(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	models := h.Models.ModelIDs(c.Request().Context())
	d := views.ChatData{Models: models}
	if d.DocChoices, err = h.documentChoices(c.Request().Context(), user.ID); err != nil {
		return err
	}
	d.DocumentsOn = h.Documents != nil
	if len(models) > 0 {
		d.Model = models[0]
	}
	return render(c, http.StatusOK, views.ChatPage(h.page(c, "New chat", ""), d))
}

// Show renders a conversation's branch on show.
func (h *Chat) Show(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return chat.ErrNotFound
	}
	n := turnWindow
	if c.QueryParam("all") == "1" {
		n = 0 // without JavaScript, "Earlier messages" shows everything
	}
	conv, turns, earlier, err := h.Service.ConversationWindow(c.Request().Context(), user.ID, id, uuid.Nil, n)
	if err != nil {
		return err
	}
	d := views.ChatData{ConvID: conv.ID.String(), Title: conv.Title, Model: conv.Model, Pinned: conv.Pinned, Archived: conv.Archived,
		Temporary: conv.Temporary, Documents: conv.Documents, DocumentsOn: h.Documents != nil, Models: h.Models.ModelIDs(c.Request().Context())}
	if d.DocChoices, err = h.documentChoices(c.Request().Context(), user.ID); err != nil {
		return err
	}
	if earlier {
		d.EarlierBefore = turns[0].ID.String()
	}
	checks := h.answerChecks(c.Request().Context(), user.ID, conv.ID, turns)
	for _, t := range turns {
		v := h.turnView(t)
		h.addCheck(&v, t, checks)
		d.Streaming = d.Streaming || v.Streaming
		d.Turns = append(d.Turns, v)
	}
	if err := h.attachContext(c.Request().Context(), user.ID, d.Turns); err != nil {
		return err
	}
	title := conv.Title
	if title == "" {
		title = "New chat"
	}
	return render(c, http.StatusOK, views.ChatPage(h.page(c, title, conv.ID.String()), d))
}

func (h *Chat) turnView(t chat.Turn) views.TurnView {
	v := views.TurnView{ID: t.ID.String(), ConvID: t.ConversationID.String(), Role: t.Role, Raw: t.Content, Status: t.Status,
		Streaming: t.Status == store.StatusStreaming, Sibling: t.Sibling, Siblings: t.Siblings, Model: t.Model,
		Notice: StatusNotice(t.Status, t.ErrorCode)}
	if t.Prev != nil {
		v.PrevID = t.Prev.String()
	}
	if t.Next != nil {
		v.NextID = t.Next.String()
	}
	v.HTML = h.html(t.Content)
	return v
}

// attachContext fills in what each answer was given: memories, and
// passages of documents to cite.
func (h *Chat) attachContext(ctx context.Context, userID uuid.UUID, turns []views.TurnView) error {
	var ids []uuid.UUID
	for _, t := range turns {
		if t.Role == store.RoleAssistant {
			if id, err := uuid.Parse(t.ID); err == nil {
				ids = append(ids, id)
			}
		}
	}
	memories, err := h.Store.MessageMemories(ctx, userID, ids)
	if err != nil {
		return err
	}
	sources, err := h.Store.MessageSources(ctx, userID, ids)
	if err != nil {
		return err
	}
	used, err := h.Store.MessageTools(ctx, userID, ids)
	if err != nil {
		return err
	}
	proposals, err := h.Store.MessageProposals(ctx, userID, ids)
	if err != nil {
		return err
	}
	loc := time.UTC
	if h.Proposals != nil {
		loc = h.Proposals.Zone(ctx, userID)
	}
	for i := range turns {
		id, _ := uuid.Parse(turns[i].ID)
		turns[i].Activity = activity(used[id])
		for _, p := range proposals[id] {
			turns[i].Proposals = append(turns[i].Proposals, ProposalView(p, loc))
		}
		for _, m := range memories[id] {
			turns[i].Memories = append(turns[i].Memories, m.Text)
		}
		for _, src := range sources[id] {
			turns[i].Sources = append(turns[i].Sources, views.SourceView{N: src.Ordinal, Document: src.DocumentName,
				Heading: src.Heading, Href: "/passages/" + src.ChunkID.String()})
		}
	}
	return nil
}

// activity words the tools an answer used, each once, in order.
func activity(names []string) []string {
	var out []string
	for _, n := range names {
		if a := tools.Activity(n); !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// html renders markdown; a renderer failure shows the text escaped.
func (h *Chat) html(src string) template.HTML {
	out, err := h.Markdown.Render(src)
	if err != nil {
		return template.HTML("<p>" + template.HTMLEscapeString(src) + "</p>")
	}
	return out
}

// StatusNotice says in words why an answer is not complete.
func StatusNotice(status, code string) string {
	switch status {
	case store.StatusStopped:
		return "Stopped. The text so far is kept."
	case store.StatusInterrupted:
		if code == chat.CodeShutdown {
			return "Interrupted by a server restart. The text so far is kept; regenerate to try again."
		}
		return "The model stopped responding part-way. The text so far is kept; regenerate to try again."
	case store.StatusFailed:
		if code == chat.CodeBackendUnverified {
			return unverifiedNotice("")
		}
		return "The model could not answer. Regenerate to try again."
	}
	return ""
}

// page is Pages.Page with the open conversation marked in the sidebar.
func (h *Chat) page(c echo.Context, title, activeID string) views.Page {
	p := h.Pages.Page(c, title, "")
	if p.Sidebar != nil {
		for i := range p.Sidebar.Items {
			p.Sidebar.Items[i].Active = p.Sidebar.Items[i].ID == activeID
		}
	}
	return p
}

// SidebarFor loads the first page of the user's conversations for any
// signed-in page. A failure leaves the sidebar empty rather than failing
// the page; the page's own queries report a database that is down.
func (h *Chat) SidebarFor(ctx context.Context, userID uuid.UUID) *views.SidebarData {
	d, err := h.sidebar(ctx, userID, "", "", "")
	if err != nil {
		return nil
	}
	return &d
}

// sidebar loads one page of the conversation list, or search results.
func (h *Chat) sidebar(ctx context.Context, userID uuid.UUID, cursor, query, activeID string) (views.SidebarData, error) {
	d := views.SidebarData{Query: query}
	var convs []store.Conversation
	if q := strings.TrimSpace(query); q != "" {
		ids, err := h.Store.SearchConversations(ctx, userID, q, 50)
		if err != nil {
			return d, err
		}
		if convs, err = h.Store.ConversationsByIDs(ctx, userID, ids); err != nil {
			return d, err
		}
	} else {
		page, err := h.Store.ListConversations(ctx, userID, false, cursor, sidebarPage)
		if err != nil {
			return d, err
		}
		convs, d.Next = page.Items, page.Next
	}
	for _, conv := range convs {
		title := conv.Title
		if title == "" {
			title = "New chat"
		}
		d.Items = append(d.Items, views.ConvItem{ID: conv.ID.String(), Title: title, Pinned: conv.Pinned, Active: conv.ID.String() == activeID})
	}
	return d, nil
}

// List answers the sidebar's infinite scroll and search with list items.
func (h *Chat) List(c echo.Context) error {
	_, user, err := currentUser(c)
	if err != nil {
		return err
	}
	d, err := h.sidebar(c.Request().Context(), user.ID, c.QueryParam("cursor"), c.QueryParam("q"), "")
	if errors.Is(err, store.ErrBadCursor) {
		return echo.NewHTTPError(http.StatusBadRequest, "That list position is not valid.")
	}
	if err != nil {
		return err
	}
	if c.Request().Header.Get("HX-Request") == "" {
		// Without JavaScript: the search form reloads the new-chat page.
		p := h.Pages.Fragment(c, "Search")
		p.Sidebar = &d
		return render(c, http.StatusOK, views.ChatPage(p, views.ChatData{}))
	}
	return render(c, http.StatusOK, views.ConversationList(d))
}

// Earlier renders the window of turns before a given one, for scrolling up
// in a long conversation.
func (h *Chat) Earlier(c echo.Context) error {
	_, user, convID, err := h.convParams(c)
	if err != nil {
		return err
	}
	if c.Request().Header.Get("HX-Request") == "" {
		return c.Redirect(http.StatusSeeOther, "/c/"+convID.String()+"?all=1")
	}
	before, err := uuid.Parse(c.QueryParam("before"))
	if err != nil {
		return chat.ErrNotFound
	}
	// A turn no longer on the branch on show (it changed meanwhile) has
	// nothing earlier to add.
	_, turns, earlier, err := h.Service.ConversationWindow(c.Request().Context(), user.ID, convID, before, turnWindow)
	if err != nil {
		return err
	}
	d := views.EarlierData{ConvID: convID.String()}
	if earlier {
		d.Before = turns[0].ID.String()
	}
	checks := h.answerChecks(c.Request().Context(), user.ID, convID, turns)
	for _, t := range turns {
		v := h.turnView(t)
		h.addCheck(&v, t, checks)
		d.Turns = append(d.Turns, v)
	}
	if err := h.attachContext(c.Request().Context(), user.ID, d.Turns); err != nil {
		return err
	}
	return render(c, http.StatusOK, views.EarlierTurns(h.Pages.Fragment(c, ""), d))
}
