package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/enclave/keys"
	"confidant/enclave/seal"
	"confidant/internal/testdb"
)

// BenchmarkMessageRoundTrip writes and reads back a typical chat message
// (600 bytes) through Postgres, alternating a plaintext table (the baseline)
// with a sealed one in the same run, and reports the sealed/plain ratio.
// Sealing here is what the store does per column: unwrap the user's data
// key from cache, AES-256-GCM with a row-bound AAD.
func BenchmarkMessageRoundTrip(b *testing.B) {
	pool := testdb.New(b)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		CREATE TABLE bench_plain (id uuid PRIMARY KEY, user_id uuid NOT NULL, content text NOT NULL, created_at timestamptz NOT NULL);
		CREATE TABLE bench_sealed (id uuid PRIMARY KEY, user_id uuid NOT NULL, content bytea NOT NULL, created_at timestamptz NOT NULL);`); err != nil {
		b.Fatal(err)
	}
	msg := strings.Repeat("Could you summarise the meeting notes from Tuesday? ", 12)[:600]
	userID := uuid.New()
	dek, _ := keys.NewDEK()
	key, _ := seal.NewKey(dek)

	plainOnce := func() {
		id := uuid.New()
		if _, err := pool.Exec(ctx, `INSERT INTO bench_plain VALUES ($1, $2, $3, now())`, id, userID, msg); err != nil {
			b.Fatal(err)
		}
		var got string
		if err := pool.QueryRow(ctx, `SELECT content FROM bench_plain WHERE id = $1`, id).Scan(&got); err != nil || got != msg {
			b.Fatal("round trip lost the message", err)
		}
	}
	sealedOnce := func() {
		id := uuid.New()
		aad := seal.AAD{UserID: userID.String(), Table: "messages", Column: "content", RowID: id.String()}
		ct, err := key.Seal(aad, []byte(msg))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO bench_sealed VALUES ($1, $2, $3, now())`, id, userID, ct); err != nil {
			b.Fatal(err)
		}
		var raw []byte
		if err := pool.QueryRow(ctx, `SELECT content FROM bench_sealed WHERE id = $1`, id).Scan(&raw); err != nil {
			b.Fatal(err)
		}
		if pt, err := key.Open(aad, raw); err != nil || string(pt) != msg {
			b.Fatal("round trip lost the message", err)
		}
	}
	timed := func(f func()) time.Duration { t0 := time.Now(); f(); return time.Since(t0) }

	var plain, sealed time.Duration
	i := 0
	for b.Loop() {
		// Alternate the order so neither side always runs on a warmer cache.
		if i%2 == 0 {
			plain += timed(plainOnce)
			sealed += timed(sealedOnce)
		} else {
			sealed += timed(sealedOnce)
			plain += timed(plainOnce)
		}
		i++
	}
	b.ReportMetric(float64(plain.Nanoseconds())/float64(b.N), "plain-ns/op")
	b.ReportMetric(float64(sealed.Nanoseconds())/float64(b.N), "sealed-ns/op")
	b.ReportMetric(float64(sealed)/float64(plain), "sealed/plain")
}
