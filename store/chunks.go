package store

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	pgvector "github.com/pgvector/pgvector-go"
	pgxvec "github.com/pgvector/pgvector-go/pgx"

	"confidant/enclave/blindindex"
	"confidant/enclave/keys"
	"confidant/enclave/vecxform"
)

// EmbeddingDims is the size of the embeddings chunks are stored with
// (sim-embed's, and the chunks.embedding column's).
const EmbeddingDims = 384

// HNSW search settings. pgvector's iterative index scan keeps walking the
// graph until enough rows pass the per-user filter, so one index over every
// user's vectors serves each of them; relaxed order is re-sorted exactly.
const (
	HNSWM              = 16 // as migrations/20261126160000_documents.sql builds it
	HNSWEFConstruction = 64
	HNSWEFSearch       = 160
	HNSWMaxScanTuples  = 20000
	// exactSearchMax is how many stored chunks a user may have for an
	// exact scan, which is then about as fast (a few ms) and complete; an
	// index scan filtered to a user with few vectors among many stops at
	// HNSWMaxScanTuples, and then the search falls back to exact anyway.
	exactSearchMax = 2000
)

// NewChunk is one passage of a document with its raw embedding; the store
// seals the text and heading and transforms the embedding.
type NewChunk struct {
	ID        uuid.UUID
	Ordinal   int
	Heading   string // heading path, e.g. "Guide > Install"
	Text      string
	Embedding []float32
}

// Chunk is a stored passage, unsealed.
type Chunk struct {
	ID         uuid.UUID
	DocumentID uuid.UUID
	Ordinal    int
	Heading    string
	Text       string
}

// ChunkHit is a chunk id found by a search with its score: cosine
// similarity for vector search, matched query words for keyword search.
type ChunkHit struct {
	ID         uuid.UUID
	DocumentID uuid.UUID
	Score      float64
}

// vectorTransform is the user's secret orthogonal transform for stored
// embeddings.
func (s *Store) vectorTransform(userID uuid.UUID) (*vecxform.Transform, error) {
	xf, err := vecxform.New(s.keys.VectorKey(keys.UserID(userID)), EmbeddingDims)
	if err != nil {
		return nil, fmt.Errorf("vector transform: %w", err)
	}
	return xf, nil
}

// registerVector teaches the connection pgvector's binary format, once.
func registerVector(ctx context.Context, conn *pgx.Conn) error {
	if _, ok := conn.TypeMap().TypeForName("vector"); ok {
		return nil
	}
	if err := pgxvec.RegisterTypes(ctx, conn); err != nil {
		return fmt.Errorf("register vector type: %w", err)
	}
	return nil
}

// CompleteDocument stores all of a document's chunks at once (sealed text
// and heading, transformed embedding, blind-index tokens) with COPY and
// marks it ready, in one transaction: a document is either searchable in
// full or not at all. Chunks of an earlier try are replaced. The original
// file stays, sealed: it is what an export carries and what another
// deployment re-ingests with its own embeddings.
func (s *Store) CompleteDocument(ctx context.Context, userID, docID uuid.UUID, chunks []NewChunk, now time.Time) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("complete document: %w", err)
	}
	xf, err := s.vectorTransform(userID)
	if err != nil {
		return err
	}
	indexKey := s.keys.BlindIndexKey(keys.UserID(userID))
	chunkRows := make([][]any, len(chunks))
	for i, c := range chunks {
		if len(c.Embedding) != EmbeddingDims {
			return fmt.Errorf("complete document: embedding of %d dimensions, want %d", len(c.Embedding), EmbeddingDims)
		}
		text, err := k.seal("chunks", "text", c.ID, c.Text)
		if err != nil {
			return err
		}
		heading, err := k.seal("chunks", "heading", c.ID, c.Heading)
		if err != nil {
			return err
		}
		v := make([]float32, EmbeddingDims)
		xf.Apply(v, c.Embedding)
		tokens := blindindex.Tokens(indexKey, c.Heading+"\n"+c.Text)
		if tokens == nil {
			tokens = [][]byte{}
		}
		chunkRows[i] = []any{c.ID, docID, userID, int32(c.Ordinal), text, heading, pgvector.NewVector(v), tokens}
	}
	return s.InTx(ctx, func(tx *Store) error {
		ptx := tx.db.(pgx.Tx)
		if err := registerVector(ctx, ptx.Conn()); err != nil {
			return err
		}
		var status string
		if err := tx.db.QueryRow(ctx, `SELECT status FROM documents WHERE id = $1 AND user_id = $2 FOR UPDATE`, docID, userID).Scan(&status); err != nil {
			return notFound(err, "complete document")
		}
		if _, err := tx.db.Exec(ctx, `DELETE FROM chunks WHERE document_id = $1`, docID); err != nil {
			return fmt.Errorf("complete document: %w", err)
		}
		if _, err := ptx.CopyFrom(ctx, pgx.Identifier{"chunks"},
			[]string{"id", "document_id", "user_id", "ordinal", "text_sealed", "heading_sealed", "embedding", "tokens"},
			pgx.CopyFromRows(chunkRows)); err != nil {
			return fmt.Errorf("complete document: copy chunks: %w", err)
		}
		if _, err := tx.db.Exec(ctx, `
			UPDATE documents SET status = 'ready', error_code = '', error_sealed = NULL, chunks_total = $3, chunks_done = $3, updated_at = $4
			WHERE id = $1 AND user_id = $2`, docID, userID, len(chunks), now); err != nil {
			return fmt.Errorf("complete document: %w", err)
		}
		return nil
	})
}

// VectorSearch says what SearchChunkVectors looks for.
type VectorSearch struct {
	K          int        // chunks wanted
	DocumentID *uuid.UUID // only this document's
	// CollectionID, when set, searches only the documents of this
	// collection (exactly: a collection is small beside a whole library).
	CollectionID *uuid.UUID
	EFSearch     int // HNSW candidate list size; 0 for HNSWEFSearch
	// Tuning for tests and benchmarks; 0 for the defaults.
	ExactMax      int // most stored chunks searched exactly (exactSearchMax)
	MaxScanTuples int // most index tuples one scan visits (HNSWMaxScanTuples)
}

// SearchChunkVectors returns the user's k chunks nearest to the raw query
// embedding by cosine similarity, best first, optionally within one
// document. The query goes through the user's transform, so it meets the
// stored vectors in their transformed space; the HNSW index answers with
// an iterative scan filtered to the user.
func (s *Store) SearchChunkVectors(ctx context.Context, userID uuid.UUID, query []float32, opt VectorSearch) ([]ChunkHit, error) {
	k, documentID, collectionID := opt.K, opt.DocumentID, opt.CollectionID
	efSearch, exactMax, maxScan := opt.EFSearch, opt.ExactMax, opt.MaxScanTuples
	if efSearch <= 0 {
		efSearch = HNSWEFSearch
	}
	if exactMax <= 0 {
		exactMax = exactSearchMax
	}
	if maxScan <= 0 {
		maxScan = HNSWMaxScanTuples
	}
	if len(query) != EmbeddingDims {
		return nil, fmt.Errorf("search chunks: query of %d dimensions, want %d", len(query), EmbeddingDims)
	}
	xf, err := s.vectorTransform(userID)
	if err != nil {
		return nil, err
	}
	q := make([]float32, EmbeddingDims)
	xf.Apply(q, query)
	var hits []ChunkHit
	err = s.InTx(ctx, func(tx *Store) error {
		if err := registerVector(ctx, tx.db.(pgx.Tx).Conn()); err != nil {
			return err
		}
		var stored int
		if err := tx.db.QueryRow(ctx, `SELECT coalesce(sum(chunks_total), 0) FROM documents WHERE user_id = $1 AND status = 'ready'`, userID).Scan(&stored); err != nil {
			return fmt.Errorf("search chunks: %w", err)
		}
		exact := func() error {
			// An exact scan through the btree on the owner (the "+ 0"
			// keeps the planner off the HNSW ordering).
			rows, err := tx.db.Query(ctx, `
				SELECT id, document_id, 1 - (embedding <=> $2) FROM chunks
				WHERE user_id = $1 AND ($4::uuid IS NULL OR document_id = $4)
				  AND ($5::uuid IS NULL OR document_id IN (SELECT id FROM documents WHERE collection_id = $5 AND user_id = $1))
				ORDER BY (embedding <=> $2) + 0, id LIMIT $3`,
				userID, pgvector.NewVector(q), k, documentID, collectionID)
			if err != nil {
				return fmt.Errorf("search chunks: %w", err)
			}
			if hits, err = pgx.CollectRows(rows, pgx.RowToStructByPos[ChunkHit]); err != nil {
				return fmt.Errorf("search chunks: %w", err)
			}
			return nil
		}
		if documentID != nil || collectionID != nil || stored <= exactMax {
			return exact()
		}
		// A custom plan each time: a generic plan knows neither the
		// owner's share of the rows nor the limit.
		if _, err := tx.db.Exec(ctx, fmt.Sprintf(`SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = %d; SET LOCAL hnsw.max_scan_tuples = %d`,
			max(efSearch, k), maxScan)); err != nil {
			return fmt.Errorf("search chunks: settings: %w", err)
		}
		rows, err := tx.db.Query(ctx, `
			WITH nearest AS MATERIALIZED (
				SELECT id, document_id, embedding <=> $2 AS distance FROM chunks
				WHERE user_id = $1
				ORDER BY embedding <=> $2 LIMIT $3
			)
			SELECT id, document_id, 1 - distance FROM nearest ORDER BY distance, id`,
			userID, pgvector.NewVector(q), k)
		if err != nil {
			return fmt.Errorf("search chunks: %w", err)
		}
		if hits, err = pgx.CollectRows(rows, pgx.RowToStructByPos[ChunkHit]); err != nil {
			return fmt.Errorf("search chunks: %w", err)
		}
		if len(hits) < min(k, stored) {
			// The index scan gave up (max_scan_tuples) before finding k of
			// this user's vectors among everyone's: answer exactly.
			return exact()
		}
		return nil
	})
	return hits, err
}

// keywordDFCap bounds how many chunks are counted per query word: a word
// in this many of a user's chunks says little about any of them, and is
// left out of keyword search (vector search still sees it).
const keywordDFCap = 1000

// SearchChunkKeywords returns up to k of the user's chunks that contain
// words of query, ranked by the summed inverse document frequency of the
// words they contain (BM25's idf, without term frequencies: the blind index
// stores each distinct word once), optionally within one document or
// collection. Words are matched as blind-index tokens; very common words
// are skipped.
func (s *Store) SearchChunkKeywords(ctx context.Context, userID uuid.UUID, query string, k int, scope ChunkScope) ([]ChunkHit, error) {
	tokens := blindindex.QueryTokens(s.keys.BlindIndexKey(keys.UserID(userID)), query)
	if len(tokens) == 0 {
		return nil, nil
	}
	var total int
	if err := s.db.QueryRow(ctx, `SELECT coalesce(sum(chunks_total), 0) FROM documents WHERE user_id = $1 AND status = 'ready'`, userID).Scan(&total); err != nil {
		return nil, fmt.Errorf("search chunk keywords: %w", err)
	}
	rows, err := s.db.Query(ctx, `
		SELECT (SELECT count(*) FROM (SELECT 1 FROM chunks c WHERE c.tokens @> ARRAY[t.tok] AND c.user_id = $1 LIMIT $3) capped)
		FROM unnest($2::bytea[]) WITH ORDINALITY AS t(tok, n) ORDER BY t.n`, userID, tokens, keywordDFCap)
	if err != nil {
		return nil, fmt.Errorf("search chunk keywords: %w", err)
	}
	dfs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("search chunk keywords: %w", err)
	}
	var used [][]byte
	var weights []float64
	for i, df := range dfs {
		if df == 0 || df >= keywordDFCap {
			continue
		}
		n := float64(max(total, int(df)))
		used = append(used, tokens[i])
		weights = append(weights, math.Log(1+(n-float64(df)+0.5)/(float64(df)+0.5)))
	}
	if len(used) == 0 {
		return nil, nil
	}
	rows, err = s.db.Query(ctx, `
		SELECT c.id, c.document_id,
			(SELECT sum(w.weight) FROM unnest($2::bytea[], $3::float8[]) AS w(tok, weight) WHERE w.tok = ANY(c.tokens)) AS score
		FROM chunks c
		WHERE c.tokens && $2 AND c.user_id = $1 AND ($5::uuid IS NULL OR c.document_id = $5)
		  AND ($6::uuid IS NULL OR c.document_id IN (SELECT id FROM documents WHERE collection_id = $6 AND user_id = $1))
		ORDER BY score DESC, c.id LIMIT $4`, userID, used, weights, k, scope.DocumentID, scope.CollectionID)
	if err != nil {
		return nil, fmt.Errorf("search chunk keywords: %w", err)
	}
	hits, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ChunkHit])
	if err != nil {
		return nil, fmt.Errorf("search chunk keywords: %w", err)
	}
	return hits, nil
}

// ChunksByIDs returns those of ids that are the user's chunks, unsealed,
// keyed by id.
func (s *Store) ChunksByIDs(ctx context.Context, userID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]Chunk, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("chunks: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT id, document_id, ordinal, heading_sealed, text_sealed FROM chunks WHERE user_id = $1 AND id = ANY($2)`, userID, ids)
	if err != nil {
		return nil, fmt.Errorf("chunks: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Chunk, error) {
		var c Chunk
		var heading, text []byte
		if err := row.Scan(&c.ID, &c.DocumentID, &c.Ordinal, &heading, &text); err != nil {
			return Chunk{}, err
		}
		var err error
		if c.Heading, err = k.open("chunks", "heading", c.ID, heading); err != nil {
			return Chunk{}, err
		}
		c.Text, err = k.open("chunks", "text", c.ID, text)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("chunks: %w", err)
	}
	out := make(map[uuid.UUID]Chunk, len(list))
	for _, c := range list {
		out[c.ID] = c
	}
	return out, nil
}
