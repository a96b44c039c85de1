package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"

	"confidant/store"
)

var _ Reader = (*Service)(nil)

// Limits on what one read returns.
const (
	defaultMailResults = 10
	maxMailResults     = 50
	maxEventResults    = 1000
	// rrfK is reciprocal rank fusion's constant (Cormack et al.).
	rrfK = 60
)

// Connected lists the user's connectors with what each allows.
func (s *Service) Connected(ctx context.Context, userID uuid.UUID) ([]Info, error) {
	list, err := s.List(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Info, len(list))
	for i, c := range list {
		out[i] = c.Info
	}
	return out, nil
}

// SearchMail finds the user's synced messages best matching query, best
// first: hybrid retrieval, vector search through the user's transform and
// blind-index keyword search fused by reciprocal rank. Without an
// embedder, or when embedding the query fails, it answers from keywords.
func (s *Service) SearchMail(ctx context.Context, userID uuid.UUID, query string, limit int) ([]StoredMail, error) {
	if limit <= 0 {
		limit = defaultMailResults
	}
	limit = min(limit, maxMailResults)
	candidates := max(limit*4, 20)
	var vectorHits []store.MailHit
	if s.opt.Embedder != nil {
		vecs, err := s.opt.Embedder.Embed(ctx, s.opt.EmbedModel, []string{query})
		switch {
		case err != nil:
			s.log.Warn("mail search without vectors: embedding the query failed", "err", err)
		case len(vecs) != 1 || len(vecs[0]) != store.EmbeddingDims:
			s.log.Warn("mail search without vectors: the embedding model gives vectors of the wrong size", "model", s.opt.EmbedModel)
		default:
			if vectorHits, err = s.store.SearchMailVectors(ctx, userID, vecs[0], candidates); err != nil {
				return nil, fmt.Errorf("search mail: %w", err)
			}
		}
	}
	keywordHits, err := s.store.SearchMailKeywords(ctx, userID, query, candidates)
	if err != nil {
		return nil, fmt.Errorf("search mail: %w", err)
	}
	ids := fuse(limit, vectorHits, keywordHits)
	if len(ids) == 0 {
		return []StoredMail{}, nil
	}
	items, err := s.store.MailByIDs(ctx, userID, ids)
	if err != nil {
		return nil, fmt.Errorf("search mail: %w", err)
	}
	out := make([]StoredMail, 0, len(ids))
	for _, id := range ids {
		it, ok := items[id]
		if !ok {
			continue // removed since the search
		}
		m, err := toStoredMail(it)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// fuse merges ranked lists by reciprocal rank fusion, best first, ties to
// the smaller id.
func fuse(limit int, lists ...[]store.MailHit) []uuid.UUID {
	scores := map[uuid.UUID]float64{}
	for _, list := range lists {
		for rank, h := range list {
			scores[h.ID] += 1.0 / float64(rrfK+rank+1)
		}
	}
	ids := make([]uuid.UUID, 0, len(scores))
	for id := range scores {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		if scores[ids[i]] != scores[ids[j]] {
			return scores[ids[i]] > scores[ids[j]]
		}
		return ids[i].String() < ids[j].String()
	})
	return ids[:min(limit, len(ids))]
}

func toStoredMail(it store.MailItem) (StoredMail, error) {
	m := StoredMail{ID: it.ID, ConnectorID: it.ConnectorID}
	if err := json.Unmarshal(it.Data, &m.Mail); err != nil {
		return StoredMail{}, fmt.Errorf("stored mail: %w", err)
	}
	return m, nil
}

// Mail returns one of the user's synced messages; another user's is
// store.ErrNotFound.
func (s *Service) Mail(ctx context.Context, userID, mailID uuid.UUID) (StoredMail, error) {
	items, err := s.store.MailByIDs(ctx, userID, []uuid.UUID{mailID})
	if err != nil {
		return StoredMail{}, err
	}
	it, ok := items[mailID]
	if !ok {
		return StoredMail{}, fmt.Errorf("mail: %w", store.ErrNotFound)
	}
	return toStoredMail(it)
}

// Events returns the user's occurrences overlapping [from, to), by start,
// at most maxEventResults of them.
func (s *Service) Events(ctx context.Context, userID uuid.UUID, from, to time.Time) ([]StoredEvent, error) {
	items, err := s.store.Events(ctx, userID, from, to, maxEventResults)
	if err != nil {
		return nil, err
	}
	out := make([]StoredEvent, 0, len(items))
	for _, it := range items {
		e := StoredEvent{ID: it.ID, ConnectorID: it.ConnectorID}
		if err := json.Unmarshal(it.Data, &e.Event); err != nil {
			return nil, fmt.Errorf("stored event: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Open builds the Source of one of the user's connectors, to carry out a
// proposal the user confirmed.
func (s *Service) Open(ctx context.Context, userID, connectorID uuid.UUID) (Source, Info, error) {
	c, err := s.store.Connector(ctx, userID, connectorID)
	if err != nil {
		return nil, Info{}, err
	}
	src, _, err := s.open(c)
	if err != nil {
		return nil, Info{}, err
	}
	return src, toConnection(c).Info, nil
}
