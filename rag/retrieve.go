package rag

import (
	"context"
	"fmt"
	"log/slog"
	"sort"

	"github.com/google/uuid"

	"confidant/store"
)

// rrfK is reciprocal rank fusion's constant: a passage ranked r in a list
// scores 1/(rrfK + r). 60 is the value of Cormack et al., and the common
// default.
const rrfK = 60

// Retriever finds the passages of a user's documents that answer a query:
// vector search through the user's transform and blind-index keyword
// search, fused by reciprocal rank.
type Retriever struct {
	Store    *store.Store
	Embedder Embedder
	Model    string
	Log      *slog.Logger
}

// SearchOptions narrow a search; zero values take defaults.
type SearchOptions struct {
	Limit        int        // passages returned, default 8
	DocumentID   *uuid.UUID // only this document
	CollectionID *uuid.UUID // only this collection's documents
}

// Result is one passage found, with what a citation needs.
type Result struct {
	DocumentID   uuid.UUID
	DocumentName string
	ChunkID      uuid.UUID
	Ordinal      int
	Heading      string
	Text         string
	Score        float64 // fused score: higher is better
}

// Search returns the user's passages best matching query, best first. When
// the embedding backend fails, it answers from keywords alone rather than
// not at all.
func (r *Retriever) Search(ctx context.Context, userID uuid.UUID, query string, opt SearchOptions) ([]Result, error) {
	if opt.Limit <= 0 {
		opt.Limit = 8
	}
	candidates := max(opt.Limit*4, 20)
	var vectorHits []store.ChunkHit
	vecs, err := r.Embedder.Embed(ctx, r.Model, []string{query})
	switch {
	case err != nil:
		r.Log.Warn("search without vectors: embedding the query failed", "err", err)
	case len(vecs) != 1 || len(vecs[0]) != store.EmbeddingDims:
		r.Log.Warn("search without vectors: the embedding model gives vectors of the wrong size", "model", r.Model)
	default:
		vectorHits, err = r.Store.SearchChunkVectors(ctx, userID, vecs[0], store.VectorSearch{K: candidates, DocumentID: opt.DocumentID, CollectionID: opt.CollectionID})
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
	}
	keywordHits, err := r.Store.SearchChunkKeywords(ctx, userID, query, candidates, store.ChunkScope{DocumentID: opt.DocumentID, CollectionID: opt.CollectionID})
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	fused := Fuse(opt.Limit, vectorHits, keywordHits)
	if len(fused) == 0 {
		return []Result{}, nil
	}
	ids := make([]uuid.UUID, len(fused))
	docIDs := make([]uuid.UUID, 0, len(fused))
	for i, f := range fused {
		ids[i] = f.ID
		docIDs = append(docIDs, f.DocumentID)
	}
	chunks, err := r.Store.ChunksByIDs(ctx, userID, ids)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	docs, err := r.Store.DocumentsByIDs(ctx, userID, docIDs)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	out := make([]Result, 0, len(fused))
	for _, f := range fused {
		c, ok := chunks[f.ID]
		if !ok {
			continue // deleted since the search
		}
		out = append(out, Result{DocumentID: c.DocumentID, DocumentName: docs[c.DocumentID].Name, ChunkID: c.ID,
			Ordinal: c.Ordinal, Heading: c.Heading, Text: c.Text, Score: f.Score})
	}
	return out, nil
}

// Fuse merges ranked lists by reciprocal rank fusion and returns the best
// limit hits with their fused scores, best first; ties go to the smaller id
// so the order is stable.
func Fuse(limit int, lists ...[]store.ChunkHit) []store.ChunkHit {
	scores := map[uuid.UUID]*store.ChunkHit{}
	for _, list := range lists {
		for rank, h := range list {
			f, ok := scores[h.ID]
			if !ok {
				f = &store.ChunkHit{ID: h.ID, DocumentID: h.DocumentID}
				scores[h.ID] = f
			}
			f.Score += 1.0 / float64(rrfK+rank+1)
		}
	}
	out := make([]store.ChunkHit, 0, len(scores))
	for _, f := range scores {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID.String() < out[j].ID.String()
	})
	return out[:min(limit, len(out))]
}
