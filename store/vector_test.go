package store_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"confidant/enclave/vecxform"
	"confidant/internal/testdb"
)

// TestHNSWRecallUnchangedByTransform stores the same embeddings raw and
// through a user's keyed orthogonal transform in pgvector HNSW indexes, and
// checks that exact neighbours are identical and approximate recall is the
// same: the transform keeps every cosine distance, so search works on
// vectors the database never sees in the clear.
func TestHNSWRecallUnchangedByTransform(t *testing.T) {
	t.Parallel()
	const (
		dim     = 384
		n       = 1500
		queries = 100
		k       = 10
	)
	pool := testdb.New(t)
	ctx := context.Background()
	for _, tbl := range []string{"vec_raw", "vec_sealed"} {
		if _, err := pool.Exec(ctx, fmt.Sprintf(`CREATE TABLE %s (id int PRIMARY KEY, v vector(%d) NOT NULL)`, tbl, dim)); err != nil {
			t.Fatal(err)
		}
	}
	key := make([]byte, 32)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range key {
		key[i] = byte(rng.IntN(256))
	}
	xf, err := vecxform.New(key, dim)
	if err != nil {
		t.Fatal(err)
	}
	// Clustered data, like real embeddings: 30 centres plus noise.
	centres := make([][]float32, 30)
	for i := range centres {
		centres[i] = randomUnit(rng, dim)
	}
	vec := func() []float32 {
		c := centres[rng.IntN(len(centres))]
		v := make([]float32, dim)
		for j := range v {
			v[j] = c[j] + float32(rng.NormFloat64()*0.14)
		}
		return v
	}
	batch := func(tbl string, rows map[int][]float32) {
		var sb strings.Builder
		fmt.Fprintf(&sb, "INSERT INTO %s (id, v) VALUES ", tbl)
		first := true
		for id, v := range rows {
			if !first {
				sb.WriteString(",")
			}
			first = false
			fmt.Fprintf(&sb, "(%d,'%s')", id, literal(v))
		}
		if _, err := pool.Exec(ctx, sb.String()); err != nil {
			t.Fatal(err)
		}
	}
	raw, sealed := map[int][]float32{}, map[int][]float32{}
	var allRaw, allSealed [][]float32
	for id := range n {
		v := vec()
		w := make([]float32, dim)
		xf.Apply(w, v)
		raw[id], sealed[id] = v, w
		allRaw = append(allRaw, v)
		allSealed = append(allSealed, w)
		if len(raw) == 500 || id == n-1 {
			batch("vec_raw", raw)
			batch("vec_sealed", sealed)
			clear(raw)
			clear(sealed)
		}
	}
	for _, tbl := range []string{"vec_raw", "vec_sealed"} {
		if _, err := pool.Exec(ctx, fmt.Sprintf(`CREATE INDEX ON %s USING hnsw (v vector_cosine_ops) WITH (m = 8, ef_construction = 24)`, tbl)); err != nil {
			t.Fatal(err)
		}
	}
	search := func(tbl string, q []float32) []int {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Release()
		if _, err := conn.Exec(ctx, "SET hnsw.ef_search = 16"); err != nil {
			t.Fatal(err)
		}
		rows, err := conn.Query(ctx, fmt.Sprintf(`SELECT id FROM %s ORDER BY v <=> $1::vector LIMIT %d`, tbl, k), literal(q))
		if err != nil {
			t.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	var recallRaw, recallSealed, exactAgree float64
	for range queries {
		q := vec()
		tq := make([]float32, dim)
		xf.Apply(tq, q)
		truth := bruteForce(allRaw, q, k)
		// Exact search over the transformed vectors finds the same neighbours.
		exactAgree += overlap(truth, bruteForce(allSealed, tq, k)) / k
		recallRaw += overlap(truth, search("vec_raw", q)) / k
		recallSealed += overlap(truth, search("vec_sealed", tq)) / k
	}
	recallRaw /= queries
	recallSealed /= queries
	exactAgree /= queries
	t.Logf("exact top-%d agreement %.3f; HNSW recall@%d: raw %.3f, transformed %.3f", k, exactAgree, k, recallRaw, recallSealed)
	if exactAgree < 0.99 {
		t.Fatalf("exact neighbours differ: agreement %.3f", exactAgree)
	}
	if math.Abs(recallRaw-recallSealed) > 0.05 || recallSealed < 0.5 {
		t.Fatalf("recall changed: raw %.3f, transformed %.3f", recallRaw, recallSealed)
	}
}

// bruteForce returns the ids (indexes) of the k vectors nearest to q by
// cosine distance, computed in float64.
func bruteForce(all [][]float32, q []float32, k int) []int {
	type scored struct {
		id int
		d  float64
	}
	list := make([]scored, len(all))
	for id, v := range all {
		var dot, nv, nq float64
		for j := range v {
			dot += float64(v[j]) * float64(q[j])
			nv += float64(v[j]) * float64(v[j])
			nq += float64(q[j]) * float64(q[j])
		}
		list[id] = scored{id, 1 - dot/math.Sqrt(nv*nq)}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].d < list[j].d })
	ids := make([]int, k)
	for i := range ids {
		ids[i] = list[i].id
	}
	return ids
}

func randomUnit(rng *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	var norm float64
	for i := range v {
		x := rng.NormFloat64()
		v[i] = float32(x)
		norm += x * x
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(norm))
	}
	return v
}

func literal(v []float32) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatFloat(float64(x), 'g', -1, 32)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func overlap(a, b []int) float64 {
	set := map[int]bool{}
	for _, x := range a {
		set[x] = true
	}
	n := 0.0
	for _, x := range b {
		if set[x] {
			n++
		}
	}
	return n
}
