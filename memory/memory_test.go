package memory_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/inference"
	"confidant/inference/simbackend"
	"confidant/internal/testdb"
	"confidant/memory"
	"confidant/store"
)

type fixture struct {
	svc    *memory.Service
	store  *store.Store
	client *inference.Client
	user   uuid.UUID
}

// newFixture runs the memory service on a real store and the simulated
// backend's lexical embeddings.
func newFixture(t *testing.T) fixture {
	t.Helper()
	t.Parallel()
	backend := httptest.NewServer(simbackend.New(simbackend.Options{}))
	t.Cleanup(backend.Close)
	client, err := inference.New(inference.Config{BaseURL: backend.URL})
	if err != nil {
		t.Fatal(err)
	}
	st := testdb.NewStore(t)
	u := store.User{ID: uuid.New(), Username: "mem-" + uuid.NewString()[:8], DisplayName: "M"}
	if err := st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	svc := memory.New(st, client, memory.Options{})
	return fixture{svc: svc, store: st, client: client, user: u.ID}
}

func (f fixture) texts(t *testing.T) []string {
	t.Helper()
	page, err := f.store.Memories(context.Background(), f.user, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range page.Items {
		out = append(out, m.Text)
	}
	return out
}

func TestAddMergesNearDuplicates(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first, err := f.svc.Add(ctx, f.user, "Lives in Lyon with two cats", memory.Source{})
	if err != nil || first.Merged {
		t.Fatalf("add: %+v %v", first, err)
	}
	again, err := f.svc.Add(ctx, f.user, "  lives in Lyon with two   cats ", memory.Source{})
	if err != nil || !again.Merged || again.Memory.ID != first.Memory.ID {
		t.Fatalf("near duplicate: %+v %v", again, err)
	}
	other, err := f.svc.Add(ctx, f.user, "Works as a nurse at the night shift", memory.Source{})
	if err != nil || other.Merged {
		t.Fatalf("distinct fact merged: %+v %v", other, err)
	}
	if got := f.texts(t); len(got) != 2 {
		t.Errorf("memories = %q, want 2", got)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", memory.MaxLen+1)} {
		if _, err := f.svc.Add(ctx, f.user, bad, memory.Source{}); !errors.Is(err, memory.ErrEmpty) && !errors.Is(err, memory.ErrTooLong) {
			t.Errorf("Add(%.10q) = %v", bad, err)
		}
	}
}

func TestRelevant(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, fact := range []string{"Allergic to peanuts and cashews", "Has a daughter called Ada who plays chess", "Drives an old blue Volvo"} {
		if _, err := f.svc.Add(ctx, f.user, fact, memory.Source{}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.svc.Relevant(ctx, f.user, "Suggest a snack for someone allergic to peanuts", 2)
	if err != nil || len(got) == 0 || !strings.Contains(got[0].Text, "peanuts") {
		t.Fatalf("relevant = %+v, %v", got, err)
	}
	if got[0].LastUsedAt != nil {
		t.Log("LastUsedAt is read before the touch; checking the store")
	}
	m, _ := f.store.Memory(ctx, f.user, got[0].ID)
	if m.LastUsedAt == nil {
		t.Error("use not recorded")
	}
	if err := f.store.SetMemoryPaused(ctx, f.user, true, m.UpdatedAt); err != nil {
		t.Fatal(err)
	}
	if got, err := f.svc.Relevant(ctx, f.user, "Suggest a snack for someone allergic to peanuts", 2); err != nil || len(got) != 0 {
		t.Errorf("paused memory was read: %+v %v", got, err)
	}
}

func TestLearn(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ex := memory.Exchange{UserID: f.user, ConversationID: uuid.New(),
		UserMessage: `Remember that my flat is on the fourth floor. Also I just adopted a dog. ` +
			`[[sim:tool=save_memories {"facts":["Adopted a dog recently"]}]]`,
		Answer: "Noted!"}
	now := time.Now()
	conv := store.Conversation{ID: ex.ConversationID, UserID: f.user, Model: "sim-chat", CreatedAt: now, UpdatedAt: now}
	if err := f.store.CreateConversation(ctx, conv); err != nil {
		t.Fatal(err)
	}
	added, err := f.svc.Learn(ctx, ex, memory.ModelExtractor{Backend: f.client, Model: "sim-chat"})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, a := range added {
		kinds[a.Memory.Text] = a.Memory.Kind
		if a.Memory.SourceConversationID == nil || *a.Memory.SourceConversationID != conv.ID {
			t.Errorf("%q does not say where it came from", a.Memory.Text)
		}
	}
	if kinds["My flat is on the fourth floor"] != store.MemoryExplicit || kinds["Adopted a dog recently"] != store.MemoryAutomatic {
		t.Errorf("learned %v", kinds)
	}
	if err := f.store.SetMemoryPaused(ctx, f.user, true, added[0].Memory.UpdatedAt); err != nil {
		t.Fatal(err)
	}
	ex.UserMessage = "Remember that I hate olives."
	if added, err := f.svc.Learn(ctx, ex, nil); err != nil || len(added) != 0 {
		t.Errorf("paused memory learned %+v %v", added, err)
	}
}

// A fact the model extracts never rewords one the user wrote.
func TestAutomaticNeverRewordsTheUsers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	mine, err := f.svc.Add(ctx, f.user, "Lives in Lyon with two cats", memory.Source{Kind: store.MemoryManual})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Add(ctx, f.user, "lives in Lyon with two cats!", memory.Source{Kind: store.MemoryAutomatic})
	if err != nil || !got.Merged || got.Memory.ID != mine.Memory.ID {
		t.Fatalf("automatic near-duplicate: %+v %v", got, err)
	}
	m, _ := f.store.Memory(ctx, f.user, mine.Memory.ID)
	if m.Text != "Lives in Lyon with two cats" || m.Kind != store.MemoryManual {
		t.Errorf("the user's memory became %q (%s)", m.Text, m.Kind)
	}
}
