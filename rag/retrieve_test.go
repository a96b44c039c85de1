package rag

import (
	"testing"

	"github.com/google/uuid"

	"confidant/store"
)

func TestFuse(t *testing.T) {
	a, b, c, d := uuid.MustParse("00000000-0000-0000-0000-00000000000a"), uuid.MustParse("00000000-0000-0000-0000-00000000000b"),
		uuid.MustParse("00000000-0000-0000-0000-00000000000c"), uuid.MustParse("00000000-0000-0000-0000-00000000000d")
	hits := func(ids ...uuid.UUID) []store.ChunkHit {
		out := make([]store.ChunkHit, len(ids))
		for i, id := range ids {
			out[i] = store.ChunkHit{ID: id, Score: float64(100 - i)}
		}
		return out
	}
	tests := []struct {
		name  string
		limit int
		lists [][]store.ChunkHit
		want  []uuid.UUID
	}{
		{"one list keeps its order", 10, [][]store.ChunkHit{hits(c, a, b)}, []uuid.UUID{c, a, b}},
		{"found by both beats first in one", 10, [][]store.ChunkHit{hits(a, b, c), hits(d, b)}, []uuid.UUID{b, a, d, c}},
		{"ties go to the smaller id", 10, [][]store.ChunkHit{hits(b), hits(a)}, []uuid.UUID{a, b}},
		{"limit", 2, [][]store.ChunkHit{hits(a, b, c), hits(a, b, c)}, []uuid.UUID{a, b}},
		{"nothing", 5, nil, []uuid.UUID{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Fuse(tc.limit, tc.lists...)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d hits, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if got[i].ID != tc.want[i] {
					t.Fatalf("hit %d is %s, want %s", i, got[i].ID, tc.want[i])
				}
			}
			if len(got) > 0 && got[0].Score <= 0 {
				t.Fatalf("fused score %f", got[0].Score)
			}
		})
	}
}
