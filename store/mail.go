package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	pgvector "github.com/pgvector/pgvector-go"

	"confidant/enclave/blindindex"
	"confidant/enclave/keys"
)

// NewMail is a synced message to store: its JSON form (sealed whole), the
// words it is found by (kept only as blind-index tokens) and its raw
// embedding (kept only after the owner's transform; nil for none).
type NewMail struct {
	Resource  string
	Data      []byte
	IndexText string
	Embedding []float32
}

// MailItem is a stored message, unsealed.
type MailItem struct {
	ID          uuid.UUID
	ConnectorID uuid.UUID
	Data        []byte
}

// MailHit is a message found by a search with its score: cosine
// similarity for vector search, matched query words for keyword search.
type MailHit struct {
	ID    uuid.UUID
	Score float64
}

// MailByIDs returns those of ids that are the user's messages, unsealed,
// keyed by id.
func (s *Store) MailByIDs(ctx context.Context, userID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]MailItem, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT id, connector_id, data_sealed FROM connector_mail WHERE user_id = $1 AND id = ANY($2)`, userID, ids)
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	out := map[uuid.UUID]MailItem{}
	var m MailItem
	var sealed []byte
	_, err = pgx.ForEachRow(rows, []any{&m.ID, &m.ConnectorID, &sealed}, func() error {
		data, err := k.open("connector_mail", "data", m.ID, sealed)
		if err != nil {
			return err
		}
		out[m.ID] = MailItem{ID: m.ID, ConnectorID: m.ConnectorID, Data: []byte(data)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	return out, nil
}

// SearchMailVectors returns the user's k messages nearest to the raw
// query embedding by cosine similarity, best first, in the user's
// transformed space: exactly for a mailbox of up to exactSearchMax
// messages, else through the HNSW index with an iterative scan filtered to
// the user (falling back to exact when the scan gives up early).
func (s *Store) SearchMailVectors(ctx context.Context, userID uuid.UUID, query []float32, k int) ([]MailHit, error) {
	if len(query) != EmbeddingDims {
		return nil, fmt.Errorf("search mail: query of %d dimensions, want %d", len(query), EmbeddingDims)
	}
	xf, err := s.vectorTransform(userID)
	if err != nil {
		return nil, err
	}
	q := make([]float32, EmbeddingDims)
	xf.Apply(q, query)
	var hits []MailHit
	err = s.InTx(ctx, func(tx *Store) error {
		if err := registerVector(ctx, tx.db.(pgx.Tx).Conn()); err != nil {
			return err
		}
		var stored int
		if err := tx.db.QueryRow(ctx, `SELECT count(*) FROM connector_mail WHERE user_id = $1 AND embedding IS NOT NULL`, userID).Scan(&stored); err != nil {
			return fmt.Errorf("search mail: %w", err)
		}
		exact := func() error {
			rows, err := tx.db.Query(ctx, `
				SELECT id, 1 - (embedding <=> $2) FROM connector_mail
				WHERE user_id = $1 AND embedding IS NOT NULL
				ORDER BY (embedding <=> $2) + 0, id LIMIT $3`, userID, pgvector.NewVector(q), k)
			if err != nil {
				return fmt.Errorf("search mail: %w", err)
			}
			if hits, err = pgx.CollectRows(rows, pgx.RowToStructByPos[MailHit]); err != nil {
				return fmt.Errorf("search mail: %w", err)
			}
			return nil
		}
		if stored <= exactSearchMax {
			return exact()
		}
		if _, err := tx.db.Exec(ctx, fmt.Sprintf(`SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = %d; SET LOCAL hnsw.max_scan_tuples = %d`,
			max(HNSWEFSearch, k), HNSWMaxScanTuples)); err != nil {
			return fmt.Errorf("search mail: settings: %w", err)
		}
		rows, err := tx.db.Query(ctx, `
			WITH nearest AS MATERIALIZED (
				SELECT id, embedding <=> $2 AS distance FROM connector_mail
				WHERE user_id = $1 AND embedding IS NOT NULL
				ORDER BY embedding <=> $2 LIMIT $3
			)
			SELECT id, 1 - distance FROM nearest ORDER BY distance, id`, userID, pgvector.NewVector(q), k)
		if err != nil {
			return fmt.Errorf("search mail: %w", err)
		}
		if hits, err = pgx.CollectRows(rows, pgx.RowToStructByPos[MailHit]); err != nil {
			return fmt.Errorf("search mail: %w", err)
		}
		if len(hits) < min(k, stored) {
			return exact()
		}
		return nil
	})
	return hits, err
}

// SearchMailKeywords returns up to k of the user's messages containing
// words of query, ranked by how many distinct query words each contains.
// Words are matched as blind-index tokens.
func (s *Store) SearchMailKeywords(ctx context.Context, userID uuid.UUID, query string, k int) ([]MailHit, error) {
	tokens := blindindex.QueryTokens(s.keys.BlindIndexKey(keys.UserID(userID)), query)
	if len(tokens) == 0 {
		return nil, nil
	}
	rows, err := s.db.Query(ctx, `
		SELECT id, cardinality(ARRAY(SELECT unnest(tokens) INTERSECT SELECT unnest($2::bytea[])))::float8 AS score
		FROM connector_mail WHERE tokens && $2 AND user_id = $1
		ORDER BY score DESC, id LIMIT $3`, userID, tokens, k)
	if err != nil {
		return nil, fmt.Errorf("search mail keywords: %w", err)
	}
	hits, err := pgx.CollectRows(rows, pgx.RowToStructByPos[MailHit])
	if err != nil {
		return nil, fmt.Errorf("search mail keywords: %w", err)
	}
	return hits, nil
}
