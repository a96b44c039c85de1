package rag_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"confidant/internal/testdb"
	"confidant/store"
)

// Benchmark sizes (DESIGN.md "Scale", issue #7).
const (
	benchUserChunks  = 100_000 // the searching user's chunks
	benchOtherChunks = 100_000 // other users' chunks in the same table
	benchOtherUsers  = 10
	benchDocChunks   = 5_000 // chunks per stored document
	benchQueries     = 200
	benchWarmup      = 20
	benchK           = 10
)

// clusteredVectors makes embeddings shaped like real ones: topic centres
// that are themselves grouped, points scattered around a centre, all
// normalized. Deterministic for a seed.
type clusteredVectors struct {
	rng     *rand.Rand
	centres [][]float32
}

func newClusteredVectors(seed uint64, topics int) *clusteredVectors {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	groups := make([][]float32, topics/10+1)
	for i := range groups {
		groups[i] = unitNoise(rng, nil, 1)
	}
	c := &clusteredVectors{rng: rng}
	for range topics {
		c.centres = append(c.centres, unitNoise(rng, groups[rng.IntN(len(groups))], 0.06))
	}
	return c
}

// next returns a point near a random topic centre; spread varies by point,
// as real passages are more or less on topic.
func (c *clusteredVectors) next() []float32 {
	centre := c.centres[c.rng.IntN(len(c.centres))]
	return unitNoise(c.rng, centre, 0.02+0.03*c.rng.Float64())
}

// unitNoise returns base plus Gaussian noise of sigma per dimension,
// normalized; a nil base is the origin.
func unitNoise(rng *rand.Rand, base []float32, sigma float64) []float32 {
	v := make([]float32, store.EmbeddingDims)
	var norm float64
	for i := range v {
		x := rng.NormFloat64() * sigma
		if base != nil {
			x += float64(base[i])
		}
		v[i] = float32(x)
		norm += x * x
	}
	norm = math.Sqrt(norm)
	for i := range v {
		v[i] = float32(float64(v[i]) / norm)
	}
	return v
}

// loadChunks stores n chunks for the user through the real ingestion path
// (sealing, transform, COPY), benchDocChunks to a document, and returns
// their ids and raw vectors.
func loadChunks(b *testing.B, st *store.Store, userID uuid.UUID, n int, gen func() []float32, text func(int) string) ([]uuid.UUID, [][]float32) {
	b.Helper()
	ctx := context.Background()
	ids := make([]uuid.UUID, 0, n)
	vecs := make([][]float32, 0, n)
	for start := 0; start < n; start += benchDocChunks {
		docID, jobID := uuid.New(), uuid.New()
		now := time.Now()
		doc := store.NewDocument{Document: store.Document{ID: docID, Name: fmt.Sprintf("doc-%d", start), Kind: "text"}, Content: []byte("x")}
		if err := st.CreateIngestJob(ctx, userID, jobID, []store.NewDocument{doc}, now, nil); err != nil {
			b.Fatal(err)
		}
		var chunks []store.NewChunk
		for i := start; i < min(n, start+benchDocChunks); i++ {
			v := gen()
			c := store.NewChunk{ID: uuid.New(), Ordinal: i - start, Text: text(i), Embedding: v}
			chunks = append(chunks, c)
			ids = append(ids, c.ID)
			vecs = append(vecs, v)
		}
		if err := st.CompleteDocument(ctx, userID, docID, chunks, now); err != nil {
			b.Fatal(err)
		}
	}
	return ids, vecs
}

func newBenchUser(b *testing.B, st *store.Store, name string) uuid.UUID {
	b.Helper()
	u := store.User{ID: uuid.New(), Username: name, DisplayName: name, CreatedAt: time.Now()}
	if err := st.CreateUser(context.Background(), u); err != nil {
		b.Fatal(err)
	}
	return u.ID
}

func exec(b *testing.B, pool *pgxpool.Pool, sql string) {
	b.Helper()
	if _, err := pool.Exec(context.Background(), sql); err != nil {
		b.Fatalf("%s: %v", sql, err)
	}
}

// BenchmarkVectorSearch measures retrieval through the real store path
// (query transformed with the user's key, HNSW index over every user's
// transformed vectors, filtered to the user) for one user with 100,000
// chunks among 200,000: recall@10 against exact search, and p95 latency.
func BenchmarkVectorSearch(b *testing.B) {
	ctx := context.Background()
	pool := testdb.New(b)
	kr, reg := testdb.Keys(b)
	st := store.New(pool, kr, reg)

	// Bulk-load first, build the index after: much faster than keeping
	// the graph up to date row by row.
	exec(b, pool, `DROP INDEX chunks_embedding`)
	started := time.Now()
	gen := newClusteredVectors(7, 400)
	noText := func(int) string { return "" }
	user := newBenchUser(b, st, "reader")
	ids, vecs := loadChunks(b, st, user, benchUserChunks, gen.next, noText)
	for i := range benchOtherUsers {
		other := newBenchUser(b, st, fmt.Sprintf("other%d", i))
		loadChunks(b, st, other, benchOtherChunks/benchOtherUsers, gen.next, noText)
	}
	loaded := time.Since(started)
	exec(b, pool, `SET maintenance_work_mem = '1GB'`)
	exec(b, pool, `SET max_parallel_maintenance_workers = 1`)
	started = time.Now()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{`SET maintenance_work_mem = '1GB'`, `SET max_parallel_maintenance_workers = 1`,
		fmt.Sprintf(`CREATE INDEX chunks_embedding ON chunks USING hnsw (embedding vector_cosine_ops) WITH (m = %d, ef_construction = %d)`, store.HNSWM, store.HNSWEFConstruction),
		`ANALYZE chunks`, `ANALYZE documents`} {
		if _, err := conn.Exec(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	conn.Release()
	built := time.Since(started)
	b.Logf("loaded %d chunks in %s; HNSW index built in %s", benchUserChunks+benchOtherChunks, loaded.Round(time.Second), built.Round(time.Second))

	queries := make([][]float32, benchQueries)
	truth := make([][]uuid.UUID, benchQueries)
	for i := range queries {
		queries[i] = gen.next()
		truth[i] = exactNearest(ids, vecs, queries[i], benchK)
	}
	warmup := make([][]float32, benchWarmup)
	for i := range warmup {
		warmup[i] = gen.next()
	}
	logPlan(b, pool, user, queries[0])

	// measure runs every query through the store at one ef_search.
	measure := func(efSearch int) (p50, p95, recall float64) {
		search := func(q []float32) ([]store.ChunkHit, time.Duration) {
			t0 := time.Now()
			hits, err := st.SearchChunkVectors(ctx, user, q, store.VectorSearch{K: benchK, EFSearch: efSearch})
			if err != nil {
				b.Fatal(err)
			}
			return hits, time.Since(t0)
		}
		for _, q := range warmup {
			search(q)
		}
		var latencies []time.Duration
		for i, q := range queries {
			hits, took := search(q)
			latencies = append(latencies, took)
			for _, h := range hits {
				if slices.Contains(truth[i], h.ID) {
					recall++
				}
			}
		}
		slices.Sort(latencies)
		at := func(q float64) float64 {
			return float64(latencies[int(q*float64(len(latencies)-1))].Microseconds()) / 1000
		}
		return at(0.5), at(0.95), recall / float64(benchQueries*benchK)
	}
	// Other settings, for the record; the reported metrics use the
	// store's default.
	for _, ef := range []int{100, 200} {
		p50, p95, recall := measure(ef)
		b.Logf("ef_search=%d: p50 %.2f ms, p95 %.2f ms, recall@%d %.4f", ef, p50, p95, benchK, recall)
	}
	b.ResetTimer()
	p50, p95, recall := measure(store.HNSWEFSearch)
	b.StopTimer()
	b.Logf("HNSW m=%d ef_construction=%d ef_search=%d iterative_scan=relaxed_order; %d queries: p50 %.2f ms, p95 %.2f ms, recall@%d %.4f",
		store.HNSWM, store.HNSWEFConstruction, store.HNSWEFSearch, benchQueries, p50, p95, benchK, recall)
	b.ReportMetric(recall, "recall@10")
	b.ReportMetric(p95, "p95-ms")
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(float64(store.HNSWM), "m")
	b.ReportMetric(float64(store.HNSWEFConstruction), "ef_construction")
	b.ReportMetric(float64(store.HNSWEFSearch), "ef_search")
}

// logPlan shows how Postgres runs the store's filtered vector query, to
// confirm it walks the HNSW index.
func logPlan(b *testing.B, pool *pgxpool.Pool, user uuid.UUID, q []float32) {
	b.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	if _, err := tx.Exec(ctx, `SET LOCAL hnsw.iterative_scan = relaxed_order`); err != nil {
		b.Fatal(err)
	}
	rows, err := tx.Query(ctx, `EXPLAIN SELECT id FROM chunks WHERE user_id = $1 ORDER BY embedding <=> $2::text::vector LIMIT 10`, user, vectorLiteral(q))
	if err != nil {
		b.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	for i, l := range lines {
		if len(l) > 120 {
			lines[i] = l[:120] + "…" // the query vector's literal
		}
	}
	b.Logf("plan:\n%s", strings.Join(lines, "\n"))
}

func vectorLiteral(v []float32) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprint(x)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// exactNearest returns the ids of the k vectors nearest to q by cosine
// similarity (all vectors are unit length), by brute force.
func exactNearest(ids []uuid.UUID, vecs [][]float32, q []float32, k int) []uuid.UUID {
	type scored struct {
		i   int
		dot float32
	}
	best := make([]scored, 0, k+1)
	for i, v := range vecs {
		var dot float32
		for j := range v {
			dot += v[j] * q[j]
		}
		if len(best) == k && dot <= best[k-1].dot {
			continue
		}
		at := sort.Search(len(best), func(n int) bool { return best[n].dot < dot })
		best = slices.Insert(best, at, scored{i, dot})
		if len(best) > k {
			best = best[:k]
		}
	}
	out := make([]uuid.UUID, len(best))
	for n, s := range best {
		out[n] = ids[s.i]
	}
	return out
}

// BenchmarkIngest measures storing chunks through the real path (sealing
// text and heading, blind-index tokens, transform, COPY into a table with
// its HNSW index), excluding embedding time: the embeddings are made
// beforehand.
func BenchmarkIngest(b *testing.B) {
	const chunks = 4000
	pool := testdb.New(b)
	kr, reg := testdb.Keys(b)
	st := store.New(pool, kr, reg)
	user := newBenchUser(b, st, "writer")
	gen := newClusteredVectors(11, 50)
	rng := rand.New(rand.NewPCG(3, 4))
	words := strings.Fields("the of and to in is that for it as with was on be by this are from at or an have not which but all were they their one has more been some when there can would what about into other these time only than them two may its out also could after most over such where how first between well any each should")
	text := func(int) string {
		var sb strings.Builder
		for range 180 {
			sb.WriteString(words[rng.IntN(len(words))])
			sb.WriteString(fmt.Sprintf("%d ", rng.IntN(50)))
		}
		return sb.String()
	}
	b.ResetTimer()
	started := time.Now()
	loadChunks(b, st, user, chunks, gen.next, text)
	elapsed := time.Since(started)
	b.StopTimer()
	b.ReportMetric(float64(chunks)/elapsed.Seconds(), "chunks/s")
}
