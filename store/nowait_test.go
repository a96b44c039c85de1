package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"confidant/internal/testdb"
	"confidant/store"
)

// TestNoWaitGrouped sends many derived records at once, as concurrent
// answers do: each caller gets its own result (another user's message is
// still refused, a failing statement fails alone) and every record that
// was accepted is there afterwards.
func TestNoWaitGrouped(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	kr, reg := testdb.Keys(t)
	s := store.New(pool, kr, reg)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	conv := mustConversation(t, s, alice.ID, "", time.Now())
	q := mustMessage(t, s, conv, nil, store.RoleUser, "question", store.StatusComplete)

	const n = 40
	answers := make([]store.Message, n)
	for i := range answers {
		answers[i] = mustMessage(t, s, conv, &q.ID, store.RoleAssistant, fmt.Sprintf("answer %d", i), store.StatusComplete)
	}
	type outcome struct {
		name string
		err  error
		want error // nil: success
	}
	var mu sync.Mutex
	var got []outcome
	record := func(name string, err, want error) {
		mu.Lock()
		got = append(got, outcome{name, err, want})
		mu.Unlock()
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, a := range answers {
		wg.Add(3)
		go func() {
			defer wg.Done()
			<-start
			v := store.AnswerVerification{State: store.VerificationGreen, Text: fmt.Sprintf("verdict %d", i), CheckedAt: time.Now().UTC().Truncate(time.Second)}
			record(fmt.Sprintf("verdict %d", i), s.SaveAnswerVerification(ctx, alice.ID, a.ID, v), nil)
		}()
		go func() {
			defer wg.Done()
			<-start
			record(fmt.Sprintf("signed text %d", i), s.SaveSignedText(ctx, alice.ID, a.ID, fmt.Sprintf("text %d", i), time.Now()), nil)
		}()
		go func() {
			defer wg.Done()
			<-start
			switch i % 2 {
			case 0: // Bob's try on Alice's answer changes nothing.
				record(fmt.Sprintf("bob's signed text %d", i), s.SaveSignedText(ctx, bob.ID, a.ID, "forged", time.Now()), store.ErrNotFound)
			case 1: // A statement the database refuses.
				_, err := s.ExecNoWait(ctx, `UPDATE messages SET status = $2 WHERE id = $1`, a.ID, "not-a-status-of-any-kind")
				var pgErr *pgconn.PgError
				if !errors.As(err, &pgErr) {
					err = fmt.Errorf("want a database error, got %w", err)
				} else {
					err = nil
				}
				record(fmt.Sprintf("refused statement %d", i), err, nil)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(got) != 3*n {
		t.Fatalf("%d outcomes, want %d", len(got), 3*n)
	}
	for _, o := range got {
		if (o.want == nil && o.err != nil) || (o.want != nil && !errors.Is(o.err, o.want)) {
			t.Errorf("%s: %v, want %v", o.name, o.err, o.want)
		}
	}
	for i, a := range answers {
		v, err := s.AnswerVerification(ctx, alice.ID, a.ID)
		if err != nil || v.Text != fmt.Sprintf("verdict %d", i) {
			t.Errorf("answer %d: verdict %+v, %v", i, v, err)
		}
		text, err := s.SignedText(ctx, alice.ID, a.ID)
		if err != nil || text != fmt.Sprintf("text %d", i) {
			t.Errorf("answer %d: signed text %q, %v", i, text, err)
		}
		m, err := s.Message(ctx, alice.ID, a.ID)
		if err != nil || m.Status != store.StatusComplete {
			t.Errorf("answer %d: status %q, %v", i, m.Status, err)
		}
	}
}
