package chat_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/chat"
	"confidant/internal/testdb"
	"confidant/store"
)

// scripted is a backend that answers with fixed tokens; a token "!fail"
// breaks the stream, "!wait" blocks until the context ends.
type scripted struct {
	mu      sync.Mutex
	tokens  []string
	prompts [][]chat.Prompt
	delay   time.Duration
}

func (b *scripted) Stream(ctx context.Context, model string, prompt []chat.Prompt, onDelta func(string) error) error {
	b.mu.Lock()
	b.prompts = append(b.prompts, prompt)
	tokens := b.tokens
	b.mu.Unlock()
	if strings.Contains(prompt[len(prompt)-1].Content, "short title") {
		return onDelta("A Title")
	}
	for _, tok := range tokens {
		switch tok {
		case "!fail":
			return fmt.Errorf("connection reset: %w", chat.ErrBackendInterrupted)
		case "!refuse":
			return errors.New("connection refused")
		case "!wait":
			<-ctx.Done()
			return ctx.Err()
		}
		select {
		case <-time.After(b.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := onDelta(tok); err != nil {
			return err
		}
	}
	return nil
}

func setup(t *testing.T, tokens ...string) (*chat.Service, *store.Store, store.User, *scripted) {
	t.Helper()
	t.Parallel()
	st := testdb.NewStore(t)
	u := store.User{ID: uuid.New(), Username: "alice", DisplayName: "Alice", CreatedAt: time.Now()}
	if err := st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	b := &scripted{tokens: tokens}
	svc := chat.New(st, b, chat.Options{CommitEvery: 10 * time.Millisecond})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		svc.Shutdown(ctx)
	})
	return svc, st, u, b
}

// wait follows an answer to its end and returns the last snapshot.
func wait(t *testing.T, svc *chat.Service, userID, id uuid.UUID) chat.Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var last chat.Snapshot
	if err := svc.Follow(ctx, userID, id, func(s chat.Snapshot) error { last = s; return nil }); err != nil {
		t.Fatal(err)
	}
	return last
}

func TestSendStreamsAndCommits(t *testing.T) {
	svc, st, u, b := setup(t, "Hello", ", ", "world", ".")
	ctx := context.Background()
	sent, err := svc.Send(ctx, u.ID, uuid.Nil, "  Say hello  ", "")
	if err != nil {
		t.Fatal(err)
	}
	// The user message is committed before Send returns.
	if m, err := st.Message(ctx, u.ID, sent.User.ID); err != nil || m.Content != "Say hello" {
		t.Fatalf("user message: %+v %v", m, err)
	}
	snap := wait(t, svc, u.ID, sent.Assistant.ID)
	if snap.Content != "Hello, world." || snap.Status != store.StatusComplete {
		t.Fatalf("final snapshot %+v", snap)
	}
	m, _ := st.Message(ctx, u.ID, sent.Assistant.ID)
	if m.Content != "Hello, world." || m.Status != store.StatusComplete {
		t.Fatalf("stored answer %+v", m)
	}
	// Follow after the end reads the database.
	if again := wait(t, svc, u.ID, sent.Assistant.ID); again.Content != "Hello, world." {
		t.Fatalf("replay %+v", again)
	}
	// The title comes after the answer.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, _ := st.Conversation(ctx, u.ID, sent.Conversation.ID)
		if c.Title == "A Title" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no title: %q", c.Title)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A follow-up carries the history.
	next, err := svc.Send(ctx, u.ID, sent.Conversation.ID, "And again", "")
	if err != nil {
		t.Fatal(err)
	}
	wait(t, svc, u.ID, next.Assistant.ID)
	b.mu.Lock()
	last := b.prompts[len(b.prompts)-1]
	b.mu.Unlock()
	if len(last) != 3 || last[0].Content != "Say hello" || last[1].Content != "Hello, world." || last[2].Content != "And again" {
		t.Fatalf("history sent = %+v", last)
	}
}

func TestAnswerEndings(t *testing.T) {
	tests := []struct {
		name    string
		tokens  []string
		stop    bool
		status  string
		content string
	}{
		{"backend dies mid-stream", []string{"Par", "tial", "!fail"}, false, store.StatusInterrupted, "Partial"},
		{"backend refuses", []string{"!refuse"}, false, store.StatusFailed, ""},
		{"owner stops", []string{"Kept", "!wait"}, true, store.StatusStopped, "Kept"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, st, u, _ := setup(t, tt.tokens...)
			ctx := context.Background()
			sent, err := svc.Send(ctx, u.ID, uuid.Nil, "question", "")
			if err != nil {
				t.Fatal(err)
			}
			if tt.stop {
				followCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
				_ = svc.Follow(followCtx, u.ID, sent.Assistant.ID, func(s chat.Snapshot) error {
					if s.Content == tt.content {
						if err := svc.Stop(ctx, u.ID, sent.Assistant.ID); err != nil {
							t.Error(err)
						}
					}
					return nil
				})
				cancel()
			}
			snap := wait(t, svc, u.ID, sent.Assistant.ID)
			m, _ := st.Message(ctx, u.ID, sent.Assistant.ID)
			if snap.Status != tt.status || m.Status != tt.status || m.Content != tt.content {
				t.Fatalf("snapshot %+v, stored %q %q", snap, m.Status, m.Content)
			}
		})
	}
}

func TestOwnerOnly(t *testing.T) {
	svc, st, u, _ := setup(t, "secret", "!wait")
	ctx := context.Background()
	mallory := store.User{ID: uuid.New(), Username: "mallory", DisplayName: "M", CreatedAt: time.Now()}
	if err := st.CreateUser(ctx, mallory); err != nil {
		t.Fatal(err)
	}
	sent, err := svc.Send(ctx, u.ID, uuid.Nil, "question", "")
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]error{}
	followCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	checks["follow"] = svc.Follow(followCtx, mallory.ID, sent.Assistant.ID, func(chat.Snapshot) error { return errors.New("saw a snapshot") })
	checks["stop"] = svc.Stop(ctx, mallory.ID, sent.Assistant.ID)
	_, checks["send"] = svc.Send(ctx, mallory.ID, sent.Conversation.ID, "hi", "")
	_, checks["edit"] = svc.Edit(ctx, mallory.ID, sent.User.ID, "hi")
	_, checks["regenerate"] = svc.Regenerate(ctx, mallory.ID, sent.Assistant.ID)
	_, _, checks["read"] = svc.Conversation(ctx, mallory.ID, sent.Conversation.ID)
	for name, err := range checks {
		if !errors.Is(err, chat.ErrNotFound) {
			t.Errorf("%s by another user: %v", name, err)
		}
	}
	if err := svc.Stop(ctx, u.ID, sent.Assistant.ID); err != nil {
		t.Fatal(err)
	}
}

func TestEditAndRegenerateBranch(t *testing.T) {
	svc, _, u, _ := setup(t, "answer")
	ctx := context.Background()
	first, err := svc.Send(ctx, u.ID, uuid.Nil, "v1", "")
	if err != nil {
		t.Fatal(err)
	}
	wait(t, svc, u.ID, first.Assistant.ID)
	regen, err := svc.Regenerate(ctx, u.ID, first.Assistant.ID)
	if err != nil {
		t.Fatal(err)
	}
	wait(t, svc, u.ID, regen.ID)
	edited, err := svc.Edit(ctx, u.ID, first.User.ID, "v2")
	if err != nil {
		t.Fatal(err)
	}
	wait(t, svc, u.ID, edited.Assistant.ID)

	_, turns, err := svc.Conversation(ctx, u.ID, first.Conversation.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(turns) != 2 || turns[0].Content != "v2" || turns[0].Sibling != 2 || turns[0].Siblings != 2 || turns[0].Prev == nil {
		t.Fatalf("after edit: %+v", turns)
	}
	// Switch back to the first version: its newest answer is the regenerated one.
	if _, err := svc.ShowVersion(ctx, u.ID, *turns[0].Prev); err != nil {
		t.Fatal(err)
	}
	_, turns, _ = svc.Conversation(ctx, u.ID, first.Conversation.ID)
	if turns[0].Content != "v1" || turns[1].ID != regen.ID || turns[1].Sibling != 2 || turns[1].Siblings != 2 {
		t.Fatalf("after switching back: %+v", turns)
	}
}

func TestRefusals(t *testing.T) {
	svc, _, u, _ := setup(t, "!wait")
	ctx := context.Background()
	if _, err := svc.Send(ctx, u.ID, uuid.Nil, "   ", ""); !errors.Is(err, chat.ErrEmptyMessage) {
		t.Errorf("empty: %v", err)
	}
	if _, err := svc.Send(ctx, u.ID, uuid.Nil, strings.Repeat("x", chat.MaxMessageRunes+1), ""); !errors.Is(err, chat.ErrMessageTooLong) {
		t.Errorf("too long: %v", err)
	}
	sent, err := svc.Send(ctx, u.ID, uuid.Nil, "q", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Send(ctx, u.ID, sent.Conversation.ID, "another", ""); !errors.Is(err, chat.ErrBusy) {
		t.Errorf("send while streaming: %v", err)
	}
	_ = svc.Stop(ctx, u.ID, sent.Assistant.ID)
}

func TestCustomInstructionsLeadThePrompt(t *testing.T) {
	svc, st, u, b := setup(t, "ok")
	ctx := context.Background()
	if err := st.SetInstructions(ctx, u.ID, "Answer in French.", time.Now()); err != nil {
		t.Fatal(err)
	}
	sent, err := svc.Send(ctx, u.ID, uuid.Nil, "hello", "")
	if err != nil {
		t.Fatal(err)
	}
	wait(t, svc, u.ID, sent.Assistant.ID)
	b.mu.Lock()
	first := b.prompts[0]
	b.mu.Unlock()
	if len(first) != 2 || first[0].Role != store.RoleSystem || first[0].Content != "Answer in French." || first[1].Content != "hello" {
		t.Fatalf("prompt = %+v", first)
	}
	if err := st.SetInstructions(ctx, u.ID, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Instructions(ctx, u.ID); got != "" {
		t.Fatalf("cleared instructions = %q", got)
	}
}
