package store_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"confidant/internal/testdb"
)

// TestUUIDParameters: ids, and pointers to ids (nil for NULL), reach
// Postgres as the same uuid values through the store's encode plans.
func TestUUIDParameters(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	ctx := context.Background()
	id := uuid.New()
	var none *uuid.UUID
	for range 2 { // the second time through the memoized plans
		var got, gotPtr uuid.UUID
		var isNull bool
		err := pool.QueryRow(ctx, `SELECT $1::uuid, $2::uuid, $3::uuid IS NULL`, id, &id, none).Scan(&got, &gotPtr, &isNull)
		if err != nil {
			t.Fatal(err)
		}
		if got != id || gotPtr != id || !isNull {
			t.Fatalf("got %s, %s, null %v; want %s twice and null", got, gotPtr, isNull, id)
		}
		none = nil
	}
	// A nil pointer first, a real one after, on the same plan.
	var other *uuid.UUID
	for _, p := range []*uuid.UUID{nil, &id} {
		other = p
		var got *uuid.UUID
		if err := pool.QueryRow(ctx, `SELECT $1::uuid`, other).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if (p == nil) != (got == nil) || (p != nil && *got != *p) {
			t.Fatalf("pointer %v came back as %v", p, got)
		}
	}
}
