package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/store"
)

// startFor builds a send of one user turn and its streaming answer into
// conversation conv (new when isNew), under parent.
func startFor(userID uuid.UUID, conv uuid.UUID, isNew bool, parent *uuid.UUID, text string) store.AnswerStart {
	now := time.Now().UTC().Truncate(time.Microsecond)
	turnID, _ := uuid.NewV7()
	answerID, _ := uuid.NewV7()
	a := store.AnswerStart{UserID: userID, ConversationID: conv, Now: now,
		Turns: []store.Message{{ID: turnID, ConversationID: conv, UserID: userID, ParentID: parent, Role: store.RoleUser,
			Content: text, Status: store.StatusComplete, CreatedAt: now}},
		Answer: store.Message{ID: answerID, ConversationID: conv, UserID: userID, ParentID: &turnID, Role: store.RoleAssistant,
			Status: store.StatusStreaming, Model: "sim-chat", CreatedAt: now}}
	if isNew {
		a.NewConversation = &store.Conversation{ID: conv, UserID: userID, Model: "sim-chat", CreatedAt: now}
	}
	return a
}

func TestStartAnswer(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	if err := s.SetInstructions(ctx, alice.ID, "Answer in French.", time.Now()); err != nil {
		t.Fatal(err)
	}
	aliceConv, _ := uuid.NewV7()
	first := startFor(alice.ID, aliceConv, true, nil, "first question about zeppelins")

	tests := []struct {
		name             string
		start            store.AnswerStart
		wantErr          error
		wantInstructions string
	}{
		{"new conversation", first, nil, "Answer in French."},
		{"follow-up in it", startFor(alice.ID, aliceConv, false, &first.Answer.ID, "second question about airships"), nil, "Answer in French."},
		{"user without instructions", startFor(bob.ID, uuid.New(), true, nil, "bob asks"), nil, ""},
		{"another user's conversation", startFor(bob.ID, aliceConv, false, &first.Answer.ID, "bob intrudes"), store.ErrNotFound, ""},
		{"parent from another conversation", startFor(alice.ID, aliceConv, false, ptr(uuid.New()), "dangling"), store.ErrNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			instructions, err := s.StartAnswer(ctx, tt.start)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				// Nothing of a refused send is stored.
				for _, m := range append(tt.start.Turns, tt.start.Answer) {
					if _, err := s.Message(ctx, alice.ID, m.ID); !errors.Is(err, store.ErrNotFound) {
						t.Errorf("message %s of a refused send: %v", m.ID, err)
					}
					if _, err := s.Message(ctx, bob.ID, m.ID); !errors.Is(err, store.ErrNotFound) {
						t.Errorf("message %s of a refused send: %v", m.ID, err)
					}
				}
				return
			}
			if instructions != tt.wantInstructions {
				t.Errorf("instructions = %q, want %q", instructions, tt.wantInstructions)
			}
			conv, err := s.Conversation(ctx, tt.start.UserID, tt.start.ConversationID)
			if err != nil {
				t.Fatal(err)
			}
			if conv.CurrentLeaf == nil || *conv.CurrentLeaf != tt.start.Answer.ID || !conv.UpdatedAt.Equal(tt.start.Now) {
				t.Errorf("conversation leaf %v updated %v, want the answer %s at %v", conv.CurrentLeaf, conv.UpdatedAt, tt.start.Answer.ID, tt.start.Now)
			}
			for _, want := range append(tt.start.Turns, tt.start.Answer) {
				got, err := s.Message(ctx, tt.start.UserID, want.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Content != want.Content || got.Status != want.Status || got.Role != want.Role {
					t.Errorf("message %s = %+v, want %+v", want.ID, got, want)
				}
			}
		})
	}

	// The turns are searchable at once; the streaming answer is not indexed
	// until it ends.
	for _, q := range []string{"zeppelins", "airships"} {
		ids, err := s.SearchConversations(ctx, alice.ID, q, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids, []uuid.UUID{aliceConv}) {
			t.Errorf("search %q = %v, want the conversation", q, ids)
		}
	}
	// A refused send leaves no search tokens behind, for either user.
	for _, who := range []store.User{alice, bob} {
		for _, q := range []string{"dangling", "intrudes"} {
			if ids, err := s.SearchConversations(ctx, who.ID, q, 10); err != nil || len(ids) != 0 {
				t.Errorf("%s searching %q finds %v (%v)", who.Username, q, ids, err)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestEndAnswer ends an answer with its conversation's title and its
// verdict in one write: only the owner's end is taken, a title is never
// replaced, and the verdict and the text are there afterwards.
func TestEndAnswer(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	conv, _ := uuid.NewV7()
	start := startFor(alice.ID, conv, true, nil, "what about zeppelins")
	if _, err := s.StartAnswer(ctx, start); err != nil {
		t.Fatal(err)
	}
	id := start.Answer.ID

	tests := []struct {
		name      string
		userID    uuid.UUID
		title     string
		wantErr   error
		wantTitle string
	}{
		{"another user", bob.ID, "stolen title", store.ErrNotFound, ""},
		{"first title", alice.ID, "Zeppelin questions", nil, "Zeppelin questions"},
		{"a title is never replaced", alice.ID, "Other title", nil, "Zeppelin questions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := store.AnswerVerification{State: store.VerificationAmber, Text: "verdict for " + tt.name, CheckedAt: time.Now().UTC().Truncate(time.Second)}
			err := s.EndAnswer(ctx, store.AnswerEnd{UserID: tt.userID, MessageID: id, Content: "airships answer", Status: store.StatusComplete,
				Now: time.Now(), ConversationID: conv, Title: tt.title, Verification: &v})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			c, err := s.Conversation(ctx, alice.ID, conv)
			if err != nil {
				t.Fatal(err)
			}
			if c.Title != tt.wantTitle {
				t.Errorf("title = %q, want %q", c.Title, tt.wantTitle)
			}
		})
	}
	m, err := s.Message(ctx, alice.ID, id)
	if err != nil || m.Content != "airships answer" || m.Status != store.StatusComplete {
		t.Fatalf("answer = %+v, %v", m, err)
	}
	if v, err := s.AnswerVerification(ctx, alice.ID, id); err != nil || v.Text != "verdict for a title is never replaced" {
		t.Errorf("verdict = %+v, %v; want the last end's", v, err)
	}
	// An end without a verdict keeps the one stored.
	if err := s.EndAnswer(ctx, store.AnswerEnd{UserID: alice.ID, MessageID: id, Content: "airships answer", Status: store.StatusComplete, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if v, err := s.AnswerVerification(ctx, alice.ID, id); err != nil || v.Text != "verdict for a title is never replaced" {
		t.Errorf("verdict after an end without one = %+v, %v", v, err)
	}
	// The answer and the title are searchable; the title that was refused is not.
	for q, want := range map[string]int{"airships": 1, "questions": 1, "stolen": 0, "other": 0} {
		ids, err := s.SearchConversations(ctx, alice.ID, q, 10)
		if err != nil || len(ids) != want {
			t.Errorf("search %q = %v (%v), want %d", q, ids, err, want)
		}
	}
}

// Indexing text again replaces what was indexed: a renamed title and a
// rewritten message are found by their new words only.
func TestReindexReplaces(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	c := mustConversation(t, s, alice.ID, "Trip planning", time.Now())
	m := mustMessage(t, s, c, nil, store.RoleAssistant, "", store.StatusStreaming)
	title := "Holiday"
	steps := []struct {
		do   func() error
		find map[string]int // query → conversations found after the step
	}{
		{func() error {
			return s.EndAnswer(ctx, store.AnswerEnd{UserID: alice.ID, MessageID: m.ID, Content: "museums of Paris", Status: store.StatusComplete, Now: time.Now()})
		}, map[string]int{"museums": 1, "trip": 1}},
		{func() error {
			return s.EndAnswer(ctx, store.AnswerEnd{UserID: alice.ID, MessageID: m.ID, Content: "gardens of Lyon", Status: store.StatusComplete, Now: time.Now()})
		}, map[string]int{"museums": 0, "gardens": 1}},
		{func() error {
			return s.UpdateConversation(ctx, alice.ID, c.ID, store.ConversationUpdate{Title: &title}, time.Now())
		}, map[string]int{"trip": 0, "planning": 0, "holiday": 1, "holiday gardens": 1}},
		{func() error {
			return s.EndAnswer(ctx, store.AnswerEnd{UserID: alice.ID, MessageID: m.ID, Content: "...", Status: store.StatusComplete, Now: time.Now()})
		},
			map[string]int{"gardens": 0, "lyon": 0, "holiday": 1}},
	}
	for i, step := range steps {
		if err := step.do(); err != nil {
			t.Fatal(err)
		}
		for q, want := range step.find {
			ids, err := s.SearchConversations(ctx, alice.ID, q, 10)
			if err != nil || len(ids) != want {
				t.Errorf("after step %d, search %q = %v (%v), want %d", i+1, q, ids, err, want)
			}
		}
	}
}

// TestTitleFromFirstMessage titles conversations from their first message:
// a title of that message's words gets no search entry of its own (the
// message's entry finds it), one with any other word does.
func TestTitleFromFirstMessage(t *testing.T) {
	s, pool := newStoreWithPool(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	const first = "Tell me about the lighthouses of Brittany, please"
	tests := []struct {
		name, title   string
		wantTitleDoc  bool
		searchFinding string
	}{
		{"the first words", "Tell me about the lighthouses of Brittany…", false, "lighthouses brittany"},
		{"a word of its own", "Lighthouse tales", true, "tales"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conv, _ := uuid.NewV7()
			start := startFor(alice.ID, conv, true, nil, first)
			if _, err := s.StartAnswer(ctx, start); err != nil {
				t.Fatal(err)
			}
			if err := s.EndAnswer(ctx, store.AnswerEnd{UserID: alice.ID, MessageID: start.Answer.ID, Content: "They guard the coast.",
				Status: store.StatusComplete, Now: time.Now(), ConversationID: conv, Title: tt.title, TitleFrom: first}); err != nil {
				t.Fatal(err)
			}
			var docs int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM search_docs WHERE conversation_id = $1 AND message_id IS NULL`, conv).Scan(&docs); err != nil {
				t.Fatal(err)
			}
			if got := docs == 1; got != tt.wantTitleDoc {
				t.Errorf("title has a search entry: %v, want %v", got, tt.wantTitleDoc)
			}
			ids, err := s.SearchConversations(ctx, alice.ID, tt.searchFinding, 10)
			if err != nil || !slices.Contains(ids, conv) {
				t.Errorf("search %q = %v, %v; want the conversation", tt.searchFinding, ids, err)
			}
		})
	}
}
