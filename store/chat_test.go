package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/store"
)

func mustConversation(t *testing.T, s *store.Store, userID uuid.UUID, title string, at time.Time) store.Conversation {
	t.Helper()
	id, _ := uuid.NewV7()
	c := store.Conversation{ID: id, UserID: userID, Title: title, Model: "sim-chat", CreatedAt: at}
	if err := s.CreateConversation(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func mustMessage(t *testing.T, s *store.Store, c store.Conversation, parent *uuid.UUID, role, content, status string) store.Message {
	t.Helper()
	id, _ := uuid.NewV7()
	m := store.Message{ID: id, ConversationID: c.ID, UserID: c.UserID, ParentID: parent, Role: role, Content: content, Status: status, CreatedAt: time.Now()}
	if err := s.AddMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestConversationsAndMessages(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	base := time.Now().Add(-time.Hour)
	var convs []store.Conversation
	for i := range 5 {
		convs = append(convs, mustConversation(t, s, alice.ID, "", base.Add(time.Duration(i)*time.Minute)))
	}
	mustConversation(t, s, bob.ID, "bob's", base)

	// Keyset pagination walks every conversation once, newest first.
	var seen []uuid.UUID
	cursor := ""
	for {
		page, err := s.ListConversations(ctx, alice.ID, false, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Items {
			seen = append(seen, c.ID)
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if len(seen) != 5 || seen[0] != convs[4].ID || seen[4] != convs[0].ID {
		t.Fatalf("pagination = %v", seen)
	}
	if _, err := s.ListConversations(ctx, alice.ID, false, "garbage!", 2); !errors.Is(err, store.ErrBadCursor) {
		t.Errorf("bad cursor: %v", err)
	}

	// A pinned conversation comes first, and pagination still sees each once.
	pin := true
	if err := s.UpdateConversation(ctx, alice.ID, convs[2].ID, store.ConversationUpdate{Pinned: &pin}, time.Now()); err != nil {
		t.Fatal(err)
	}
	seen = nil
	for cursor = ""; ; {
		page, err := s.ListConversations(ctx, alice.ID, false, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Items {
			seen = append(seen, c.ID)
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if len(seen) != 5 || seen[0] != convs[2].ID || seen[1] != convs[4].ID || seen[4] != convs[0].ID {
		t.Fatalf("pinned pagination = %v", seen)
	}
	pin = false
	_ = s.UpdateConversation(ctx, alice.ID, convs[2].ID, store.ConversationUpdate{Pinned: &pin}, time.Now())

	c := convs[0]
	u1 := mustMessage(t, s, c, nil, store.RoleUser, "What is the capital of France?", store.StatusComplete)
	a1 := mustMessage(t, s, c, &u1.ID, store.RoleAssistant, "", store.StatusStreaming)
	if err := s.EndAnswer(ctx, store.AnswerEnd{UserID: alice.ID, MessageID: a1.ID, Content: "Paris is the capital.", Status: store.StatusComplete, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// An edit starts a sibling branch under the same parent.
	u2 := mustMessage(t, s, c, nil, store.RoleUser, "What is the capital of Italy?", store.StatusComplete)
	msgs, err := s.Messages(ctx, alice.ID, c.ID)
	if err != nil || len(msgs) != 3 || msgs[1].Content != "Paris is the capital." || msgs[1].Status != store.StatusComplete || msgs[2].ID != u2.ID {
		t.Fatalf("messages = %+v %v", msgs, err)
	}

	// Owner checks: bob sees, changes and deletes nothing of alice's.
	if _, err := s.Conversation(ctx, bob.ID, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob reads alice's conversation: %v", err)
	}
	if m, err := s.Messages(ctx, bob.ID, c.ID); err != nil || len(m) != 0 {
		t.Errorf("bob lists alice's messages: %d %v", len(m), err)
	}
	if _, err := s.Message(ctx, bob.ID, u1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob reads alice's message: %v", err)
	}
	if err := s.EndAnswer(ctx, store.AnswerEnd{UserID: bob.ID, MessageID: a1.ID, Content: "pwned", Status: store.StatusComplete, Now: time.Now()}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob edits alice's message: %v", err)
	}
	title := "mine now"
	if err := s.UpdateConversation(ctx, bob.ID, c.ID, store.ConversationUpdate{Title: &title}, time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob renames alice's conversation: %v", err)
	}
	bobMsg := store.Message{ID: uuid.New(), ConversationID: c.ID, UserID: bob.ID, Role: store.RoleUser, Content: "x", Status: store.StatusComplete, CreatedAt: time.Now()}
	if err := s.AddMessage(ctx, bobMsg); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob posts into alice's conversation: %v", err)
	}
	if err := s.DeleteConversation(ctx, bob.ID, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob deletes alice's conversation: %v", err)
	}

	// Title, pin, archive.
	title = "Capitals of Europe"
	pinned, archived := true, true
	if err := s.UpdateConversation(ctx, alice.ID, c.ID, store.ConversationUpdate{Title: &title, Pinned: &pinned, Touch: true}, time.Now()); err != nil {
		t.Fatal(err)
	}
	got, err := s.Conversation(ctx, alice.ID, c.ID)
	if err != nil || got.Title != title || !got.Pinned || got.Model != "sim-chat" {
		t.Fatalf("after update: %+v %v", got, err)
	}
	if err := s.UpdateConversation(ctx, alice.ID, convs[1].ID, store.ConversationUpdate{Archived: &archived}, time.Now()); err != nil {
		t.Fatal(err)
	}
	page, _ := s.ListConversations(ctx, alice.ID, true, "", 10)
	if len(page.Items) != 1 || page.Items[0].ID != convs[1].ID {
		t.Errorf("archived list = %+v", page.Items)
	}
	if err := s.DeleteConversation(ctx, alice.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Message(ctx, alice.ID, u1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("message survived its conversation: %v", err)
	}
}

func TestSearchConversations(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	france := mustConversation(t, s, alice.ID, "Trip planning", time.Now())
	mustMessage(t, s, france, nil, store.RoleUser, "Which museums should I visit in Paris?", store.StatusComplete)
	cooking := mustConversation(t, s, alice.ID, "Dinner", time.Now())
	a := mustMessage(t, s, cooking, nil, store.RoleAssistant, "", store.StatusStreaming)
	if err := s.EndAnswer(ctx, store.AnswerEnd{UserID: alice.ID, MessageID: a.ID, Content: "A ratatouille from Provence, with fresh basil.", Status: store.StatusComplete, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	bobs := mustConversation(t, s, bob.ID, "Paris museums", time.Now())
	mustMessage(t, s, bobs, nil, store.RoleUser, "paris museums", store.StatusComplete)

	tests := []struct {
		query string
		want  []uuid.UUID
	}{
		{"paris", []uuid.UUID{france.ID}},
		{"MUSEUMS paris", []uuid.UUID{france.ID}},
		{"trip", []uuid.UUID{france.ID}},
		{"basil", []uuid.UUID{cooking.ID}},
		{"paris basil", nil},
		{"trip museums", []uuid.UUID{france.ID}},              // title and message together
		{"dinner ratatouille basil", []uuid.UUID{cooking.ID}}, // title and answer together
		{"dinner ratatouille paris", nil},
		{"", nil},
	}
	for _, tt := range tests {
		got, err := s.SearchConversations(ctx, alice.ID, tt.query, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tt.want) || (len(got) > 0 && got[0] != tt.want[0]) {
			t.Errorf("search %q = %v, want %v", tt.query, got, tt.want)
		}
	}
}

func TestAutomaticTitleNeverOverwritesARename(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	c := mustConversation(t, s, alice.ID, "", time.Now())
	manual, auto := "Budget review", "Generated words"
	if err := s.UpdateConversation(ctx, alice.ID, c.ID, store.ConversationUpdate{Title: &manual}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateConversation(ctx, alice.ID, c.ID, store.ConversationUpdate{Title: &auto, OnlyIfNoTitle: true}, time.Now()); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Conversation(ctx, alice.ID, c.ID)
	if got.Title != manual {
		t.Fatalf("title = %q", got.Title)
	}
	if ids, _ := s.SearchConversations(ctx, alice.ID, "generated", 10); len(ids) != 0 {
		t.Error("search index took the discarded title")
	}
	if ids, _ := s.SearchConversations(ctx, alice.ID, "budget", 10); len(ids) != 1 {
		t.Error("search index lost the manual title")
	}
}

func TestConversationsByIDs(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	a1 := mustConversation(t, s, alice.ID, "first", time.Now())
	a2 := mustConversation(t, s, alice.ID, "second", time.Now())
	b1 := mustConversation(t, s, bob.ID, "bob's", time.Now())
	got, err := s.ConversationsByIDs(ctx, alice.ID, []uuid.UUID{a2.ID, b1.ID, a1.ID})
	if err != nil || len(got) != 2 || got[0].ID != a2.ID || got[1].ID != a1.ID || got[0].Title != "second" {
		t.Fatalf("ConversationsByIDs = %+v %v", got, err)
	}
}

// TestSaveStreamingMessage: a streaming answer's batches land while it
// streams, only for its owner, and never over its final state.
func TestSaveStreamingMessage(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	conv := mustConversation(t, s, alice.ID, "", time.Now())
	q := mustMessage(t, s, conv, nil, store.RoleUser, "question", store.StatusComplete)
	a := mustMessage(t, s, conv, &q.ID, store.RoleAssistant, "", store.StatusStreaming)

	for _, part := range []string{"Once", "Once upon", "Once upon a time"} {
		if err := s.SaveStreamingMessage(ctx, alice.ID, a.ID, part, time.Now()); err != nil {
			t.Fatal(err)
		}
		m, err := s.Message(ctx, alice.ID, a.ID)
		if err != nil || m.Content != part || m.Status != store.StatusStreaming {
			t.Fatalf("after saving %q: %q %s, %v", part, m.Content, m.Status, err)
		}
	}
	if err := s.SaveStreamingMessage(ctx, bob.ID, a.ID, "forged", time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user's batch: %v, want ErrNotFound", err)
	}
	if err := s.EndAnswer(ctx, store.AnswerEnd{UserID: alice.ID, MessageID: a.ID, Content: "Once upon a time.", Status: store.StatusComplete, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveStreamingMessage(ctx, alice.ID, a.ID, "Once upon", time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("late batch after the final state: %v, want ErrNotFound", err)
	}
	m, err := s.Message(ctx, alice.ID, a.ID)
	if err != nil || m.Content != "Once upon a time." || m.Status != store.StatusComplete {
		t.Fatalf("final state: %q %s, %v", m.Content, m.Status, err)
	}
}
