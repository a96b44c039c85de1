package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"confidant/store"
)

// TestWritesGrouped sends many answers at once, as concurrent chats do,
// and ends them while others start: the writes share transactions (fewer
// commits than writes), yet each caller gets its own result (a send into
// another user's conversation is refused, one the database refuses fails
// alone) and every accepted write is there afterwards.
func TestWritesGrouped(t *testing.T) {
	s, _ := newStoreWithPool(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	alicesConv, _ := uuid.NewV7()
	if _, err := s.StartAnswer(ctx, startFor(alice.ID, alicesConv, true, nil, "the first question")); err != nil {
		t.Fatal(err)
	}
	commits := s.GroupTransactions

	const n = 40
	type outcome struct {
		name      string
		err, want error // want nil: success; errAny: any database error
	}
	errAny := errors.New("a database error")
	var mu sync.Mutex
	var got []outcome
	record := func(name string, err, want error) {
		mu.Lock()
		got = append(got, outcome{name, err, want})
		mu.Unlock()
	}
	starts := make([]store.AnswerStart, n)
	for i := range starts {
		starts[i] = startFor(alice.ID, uuid.Must(uuid.NewV7()), true, nil, fmt.Sprintf("question %d about lighthouses", i))
	}
	before := commits()
	var wg sync.WaitGroup
	begin := make(chan struct{})
	for i, st := range starts {
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-begin
			_, err := s.StartAnswer(ctx, st)
			record(fmt.Sprintf("send %d", i), err, nil)
			if err != nil {
				return
			}
			err = s.EndAnswer(ctx, store.AnswerEnd{UserID: alice.ID, MessageID: st.Answer.ID, Content: fmt.Sprintf("answer %d", i),
				Status: store.StatusComplete, Now: time.Now(), ConversationID: st.ConversationID, Title: fmt.Sprintf("title %d", i)})
			record(fmt.Sprintf("end %d", i), err, nil)
		}()
		go func() {
			defer wg.Done()
			<-begin
			switch i % 2 {
			case 0: // Bob's send into Alice's conversation adds nothing.
				_, err := s.StartAnswer(ctx, startFor(bob.ID, alicesConv, false, nil, "bob intrudes"))
				record(fmt.Sprintf("bob's send %d", i), err, store.ErrNotFound)
			case 1: // A send the database refuses: its answer's id is taken.
				dup := startFor(alice.ID, uuid.Must(uuid.NewV7()), true, nil, "a duplicate")
				dup.Answer.ID = starts[i-1].Answer.ID
				_, err := s.StartAnswer(ctx, dup)
				var pgErr *pgconn.PgError
				want := errAny
				switch {
				case errors.As(err, &pgErr):
					err = errAny
				case err == nil:
					want = nil // it ran before the send it duplicates, which fails instead
				}
				record(fmt.Sprintf("duplicate send %d", i), err, want)
			}
		}()
	}
	close(begin)
	wg.Wait()
	after := commits()

	failedSends := 0
	for _, o := range got {
		if o.want == nil && o.err != nil {
			if _, err := fmt.Sscanf(o.name, "send %d", new(int)); err == nil {
				failedSends++ // lost the race to a duplicate of its answer id, checked below
				continue
			}
		}
		if (o.want == nil && o.err != nil) || (o.want != nil && !errors.Is(o.err, o.want)) {
			t.Errorf("%s: %v, want %v", o.name, o.err, o.want)
		}
	}
	stored := 0
	for i, st := range starts {
		m, err := s.Message(ctx, alice.ID, st.Answer.ID)
		if err != nil {
			t.Errorf("answer %d: %v", i, err)
			continue
		}
		if m.Content == fmt.Sprintf("answer %d", i) && m.Status == store.StatusComplete {
			stored++
		}
	}
	if stored+failedSends != n {
		t.Errorf("%d answers stored and %d sends lost to a duplicate, want %d in all", stored, failedSends, n)
	}
	// Each caller alone would commit once per write; grouped, fewer.
	// Generous: scheduling decides how many meet.
	if writes := 3 * n; after-before >= writes {
		t.Errorf("%d transactions for %d writes: nothing was grouped", after-before, writes)
	}
	t.Logf("%d transactions for %d writes", after-before, 3*n)
}

// TestGroupedWriteWaitingOnALock has one answer's end wait for a row
// another transaction holds: the ends of other answers, sent with it,
// still commit while the lock is held, and the blocked one commits once
// it is released.
func TestGroupedWriteWaitingOnALock(t *testing.T) {
	s, pool := newStoreWithPool(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	const n = 6
	starts := make([]store.AnswerStart, n)
	for i := range starts {
		starts[i] = startFor(alice.ID, uuid.Must(uuid.NewV7()), true, nil, fmt.Sprintf("question %d", i))
		if _, err := s.StartAnswer(ctx, starts[i]); err != nil {
			t.Fatal(err)
		}
	}
	// Another transaction holds the first conversation's row.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT 1 FROM conversations WHERE id = $1 FOR UPDATE`, starts[0].ConversationID); err != nil {
		t.Fatal(err)
	}

	results := make([]chan error, n)
	for i, st := range starts {
		results[i] = make(chan error, 1)
		go func() {
			results[i] <- s.EndAnswer(ctx, store.AnswerEnd{UserID: alice.ID, MessageID: st.Answer.ID, Content: fmt.Sprintf("answer %d", i),
				Status: store.StatusComplete, Now: time.Now(), ConversationID: st.ConversationID, Title: fmt.Sprintf("title %d", i)})
		}()
	}
	for i := 1; i < n; i++ {
		select {
		case err := <-results[i]:
			if err != nil {
				t.Errorf("end %d: %v", i, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("end %d waited behind another conversation's lock", i)
		}
	}
	select {
	case err := <-results[0]:
		t.Fatalf("the blocked end returned while its row was held: %v", err)
	default:
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-results[0]; err != nil {
		t.Fatalf("the blocked end, once the lock was released: %v", err)
	}
	for i, st := range starts {
		c, err := s.Conversation(ctx, alice.ID, st.ConversationID)
		if err != nil || c.Title != fmt.Sprintf("title %d", i) {
			t.Errorf("conversation %d: title %q, %v", i, c.Title, err)
		}
	}
}
