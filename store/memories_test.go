package store_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/internal/testdb"
	"confidant/store"
)

// unit returns a normalized vector pointing mostly along axis i.
func unit(dim, i int, tilt float32) []float32 {
	v := make([]float32, dim)
	v[i] = 1
	v[(i+1)%dim] = tilt
	n := float32(math.Sqrt(float64(1 + tilt*tilt)))
	for j := range v {
		v[j] /= n
	}
	return v
}

func mustMemory(t *testing.T, s *store.Store, userID uuid.UUID, text string, emb []float32, at time.Time) store.Memory {
	t.Helper()
	m := store.Memory{ID: uuid.New(), UserID: userID, Text: text, Kind: store.MemoryManual, CreatedAt: at}
	if err := s.CreateMemory(context.Background(), m, emb); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMemories(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	t0 := time.Now().UTC().Truncate(time.Microsecond)
	const dim = 16
	cat := mustMemory(t, s, alice.ID, "Has a cat called Miso", unit(dim, 0, 0.1), t0)
	tea := mustMemory(t, s, alice.ID, "Prefers green tea over coffee", unit(dim, 5, 0.1), t0.Add(time.Second))
	mustMemory(t, s, alice.ID, "Lives in Lyon", unit(dim, 9, 0.1), t0.Add(2*time.Second))
	bobs := mustMemory(t, s, bob.ID, "Has a cat called Pixel", unit(dim, 0, 0.1), t0)

	t.Run("list pages newest first", func(t *testing.T) {
		p1, err := s.Memories(ctx, alice.ID, "", 2)
		if err != nil || len(p1.Items) != 2 || p1.Next == "" || p1.Items[0].Text != "Lives in Lyon" {
			t.Fatalf("page 1 = %+v, %v", p1, err)
		}
		p2, err := s.Memories(ctx, alice.ID, p1.Next, 2)
		if err != nil || len(p2.Items) != 1 || p2.Next != "" || p2.Items[0].ID != cat.ID {
			t.Fatalf("page 2 = %+v, %v", p2, err)
		}
		if _, err := s.Memories(ctx, alice.ID, "garbage", 2); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("bad cursor: %v", err)
		}
	})
	t.Run("keyword search stays with the owner", func(t *testing.T) {
		got, err := s.SearchMemories(ctx, alice.ID, "CAT", 10)
		if err != nil || len(got) != 1 || got[0].ID != cat.ID {
			t.Fatalf("search = %+v, %v", got, err)
		}
		if got, _ := s.SearchMemories(ctx, alice.ID, "cat Pixel", 10); len(got) != 0 {
			t.Errorf("found another user's memory: %+v", got)
		}
	})
	t.Run("nearest through the transform", func(t *testing.T) {
		got, err := s.NearestMemories(ctx, alice.ID, unit(dim, 5, 0.3), 2)
		if err != nil || len(got) != 2 || got[0].ID != tea.ID {
			t.Fatalf("nearest = %+v, %v", got, err)
		}
		if got[0].Similarity < 0.9 || got[1].Similarity > 0.5 {
			t.Errorf("similarities %.3f %.3f: the transform did not keep cosine", got[0].Similarity, got[1].Similarity)
		}
		for _, m := range got {
			if m.UserID != alice.ID {
				t.Errorf("nearest returned another user's memory")
			}
		}
	})
	t.Run("update re-indexes", func(t *testing.T) {
		if err := s.UpdateMemory(ctx, alice.ID, tea.ID, "Prefers oolong tea", unit(dim, 5, 0.1), t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.SearchMemories(ctx, alice.ID, "green", 10); len(got) != 0 {
			t.Errorf("old words still found: %+v", got)
		}
		if got, _ := s.SearchMemories(ctx, alice.ID, "oolong", 10); len(got) != 1 {
			t.Errorf("new words not found")
		}
		if err := s.UpdateMemory(ctx, bob.ID, tea.ID, "hijack", nil, t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another user updated it: %v", err)
		}
	})
	t.Run("delete is owner-checked", func(t *testing.T) {
		if err := s.DeleteMemory(ctx, alice.ID, bobs.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("alice deleted bob's memory: %v", err)
		}
		if err := s.DeleteMemory(ctx, alice.ID, cat.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Memory(ctx, alice.ID, cat.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted memory still there: %v", err)
		}
		if got, _ := s.SearchMemories(ctx, alice.ID, "Miso", 10); len(got) != 0 {
			t.Errorf("deleted memory still searchable")
		}
	})
	t.Run("pause", func(t *testing.T) {
		if p, err := s.MemoryPaused(ctx, alice.ID); err != nil || p {
			t.Fatalf("paused = %v %v", p, err)
		}
		if err := s.SetMemoryPaused(ctx, alice.ID, true, t0); err != nil {
			t.Fatal(err)
		}
		if p, _ := s.MemoryPaused(ctx, alice.ID); !p {
			t.Error("pause did not stick")
		}
		if p, _ := s.MemoryPaused(ctx, bob.ID); p {
			t.Error("pausing alice paused bob")
		}
	})
}

// TestMemoriesAreSealed reads the raw rows: no text and no raw embedding.
func TestMemoriesAreSealed(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	kr, tombs := testdb.Keys(t)
	s := store.New(pool, kr, tombs)
	ctx := context.Background()
	u := mustUser(t, s, "carol")
	emb := unit(8, 3, 0)
	m := mustMemory(t, s, u.ID, "secret-memory-canary", emb, time.Now())
	var sealed []byte
	var stored string
	if err := pool.QueryRow(ctx, `SELECT text_sealed, embedding::text FROM memories WHERE id = $1`, m.ID).Scan(&sealed, &stored); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("canary")) {
		t.Error("memory text stored in the clear")
	}
	if stored == "[0,0,0,1,0,0,0,0]" {
		t.Error("embedding stored without the transform")
	}
}

func TestMessageMemories(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	u := mustUser(t, s, "dana")
	other := mustUser(t, s, "eve")
	t0 := time.Now().UTC().Truncate(time.Microsecond)
	conv := mustConversation(t, s, u.ID, "", t0)
	msg := mustMessage(t, s, conv, nil, store.RoleAssistant, "answer", store.StatusComplete)
	a := mustMemory(t, s, u.ID, "Likes jazz", nil, t0)
	b := mustMemory(t, s, u.ID, "Hates olives", nil, t0)
	eves := mustMemory(t, s, other.ID, "Eve's secret", nil, t0)
	if err := s.LinkMessageMemories(ctx, u.ID, msg.ID, []uuid.UUID{a.ID, b.ID, eves.ID}); err != nil {
		t.Fatal(err)
	}
	got, err := s.MessageMemories(ctx, u.ID, []uuid.UUID{msg.ID})
	if err != nil || len(got[msg.ID]) != 2 {
		t.Fatalf("memories of the answer = %+v, %v", got, err)
	}
	if err := s.DeleteMemory(ctx, u.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = s.MessageMemories(ctx, u.ID, []uuid.UUID{msg.ID})
	if len(got[msg.ID]) != 1 || got[msg.ID][0].ID != b.ID {
		t.Errorf("after forgetting one: %+v", got)
	}
	if got, _ := s.MessageMemories(ctx, other.ID, []uuid.UUID{msg.ID}); len(got) != 0 {
		t.Errorf("another user sees the links: %+v", got)
	}
}
