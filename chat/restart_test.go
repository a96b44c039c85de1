package chat_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"confidant/chat"
	"confidant/internal/testdb"
	"confidant/store"
)

// TestDatabaseRestartMidStream restarts Postgres while an answer streams:
// the acknowledged user message and the whole answer are there afterwards.
func TestDatabaseRestartMidStream(t *testing.T) {
	t.Parallel()
	cluster := testdb.NewCluster(t)
	pool, err := pgxpool.New(context.Background(), cluster.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	kr, reg := testdb.Keys(t)
	st := store.New(pool, kr, reg)
	ctx := context.Background()
	u := store.User{ID: uuid.New(), Username: "alice", DisplayName: "Alice", CreatedAt: time.Now()}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	tokens := make([]string, 16)
	for i := range tokens {
		tokens[i] = "w" + string(rune('a'+i%26)) + " "
	}
	b := &scripted{tokens: tokens, delay: 50 * time.Millisecond}
	svc := chat.New(st, b, chat.Options{CommitEvery: 100 * time.Millisecond})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		svc.Shutdown(ctx)
	})
	sent, err := svc.Send(ctx, u.ID, uuid.Nil, "a question that must survive", "")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // some tokens, some commits
	cluster.Stop()
	// The answer ends while the database is down: batch commits and the
	// final commit fail, and the final one keeps retrying.
	time.Sleep(1500 * time.Millisecond)
	cluster.Start()

	followCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var last chat.Snapshot
	if err := svc.Follow(followCtx, u.ID, sent.Assistant.ID, func(s chat.Snapshot) error { last = s; return nil }); err != nil {
		t.Fatal(err)
	}
	want := strings.Join(tokens, "")
	if last.Status != store.StatusComplete || last.Content != want {
		t.Fatalf("answer after restart: %q %q", last.Status, last.Content)
	}
	// The final commit retried until the database was back.
	deadline := time.Now().Add(30 * time.Second)
	for {
		m, err := st.Message(ctx, u.ID, sent.Assistant.ID)
		if err == nil && m.Status == store.StatusComplete && m.Content == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stored answer: %+v %v", m, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if m, err := st.Message(ctx, u.ID, sent.User.ID); err != nil || m.Content != "a question that must survive" {
		t.Fatalf("acknowledged user message: %+v %v", m, err)
	}
}
