package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/rag"
	"confidant/store"
)

// Searcher finds passages in a user's documents (rag.Service).
type Searcher interface {
	Search(ctx context.Context, userID uuid.UUID, query string, opt rag.SearchOptions) ([]rag.Result, error)
	Passage(ctx context.Context, userID, chunkID uuid.UUID) (rag.Result, error)
}

// Search serves GET /api/search.
type Search struct {
	Searcher Searcher
}

// maxQueryLength bounds a search query in bytes.
const maxQueryLength = 1000

type apiPassage struct {
	DocumentID   string  `json:"document_id"`
	DocumentName string  `json:"document_name"`
	ChunkID      string  `json:"chunk_id"`
	Heading      string  `json:"heading"`
	Text         string  `json:"text"`
	Score        float64 `json:"score,omitempty"`
}

func toAPIPassage(r rag.Result) apiPassage {
	return apiPassage{DocumentID: r.DocumentID.String(), DocumentName: r.DocumentName, ChunkID: r.ChunkID.String(),
		Heading: r.Heading, Text: r.Text, Score: r.Score}
}

// Passage returns one passage by its chunk id: what a citation opens.
func (h *Search) Passage(c echo.Context) error {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return documentNotFound()
	}
	r, err := h.Searcher.Passage(c.Request().Context(), apiUser(c).ID, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return documentNotFound()
		}
		return err
	}
	return c.JSON(http.StatusOK, toAPIPassage(r))
}

// Search returns the passages of the user's documents that best match q,
// best first: ?q=&limit= (default 8, at most 50)&document_id=|collection_id=.
func (h *Search) Search(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	if q == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "Give a search query in the q parameter.")
	}
	if len(q) > maxQueryLength {
		return echo.NewHTTPError(http.StatusBadRequest, "That search query is too long.")
	}
	opt := rag.SearchOptions{Limit: 8}
	if n, err := strconv.Atoi(c.QueryParam("limit")); err == nil && n > 0 {
		opt.Limit = min(n, 50)
	}
	if d := c.QueryParam("document_id"); d != "" {
		id, err := uuid.Parse(d)
		if err != nil {
			return documentNotFound()
		}
		opt.DocumentID = &id
	}
	if col := c.QueryParam("collection_id"); col != "" {
		id, err := uuid.Parse(col)
		if err != nil {
			return documentNotFound()
		}
		opt.CollectionID = &id
	}
	results, err := h.Searcher.Search(c.Request().Context(), apiUser(c).ID, q, opt)
	if err != nil {
		return err
	}
	out := list[apiPassage]{Data: []apiPassage{}}
	for _, r := range results {
		out.Data = append(out.Data, toAPIPassage(r))
	}
	return c.JSON(http.StatusOK, out)
}
