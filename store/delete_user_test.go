package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/store"
)

// TestDeleteUserLeavesNoRows deletes a user with a chat, an answer with
// its verdict and signed text, and finds no row of any table that has a
// user_id column still carrying the id: some tables reach the user only
// through others (a message through its conversation), and the deletion
// must still reach them.
func TestDeleteUserLeavesNoRows(t *testing.T) {
	s, pool := newStoreWithPool(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	for _, u := range []store.User{alice, bob} {
		conv, _ := uuid.NewV7()
		start := startFor(u.ID, conv, true, nil, "a question to forget")
		if _, err := s.StartAnswer(ctx, start); err != nil {
			t.Fatal(err)
		}
		if err := s.EndAnswer(ctx, store.AnswerEnd{UserID: u.ID, MessageID: start.Answer.ID, Content: "an answer", Status: store.StatusComplete, Now: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveSignedText(ctx, u.ID, start.Answer.ID, "signed", time.Now()); err != nil {
			t.Fatal(err)
		}
		v := store.AnswerVerification{State: store.VerificationGreen, Text: "verdict", CheckedAt: time.Now()}
		if err := s.SaveAnswerVerification(ctx, u.ID, start.Answer.ID, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteUser(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}

	rows, err := pool.Query(ctx, `
		SELECT c.table_name FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = 'public' AND c.column_name = 'user_id' AND c.data_type = 'uuid' AND t.table_type = 'BASE TABLE'
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(tables) < 10 {
		t.Fatalf("found only %d tables with a user_id: %v", len(tables), tables)
	}
	for _, table := range tables {
		var left, bobs int
		// The names come from the catalog, not from input.
		if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE user_id = $1), count(*) FILTER (WHERE user_id = $2) FROM `+table, alice.ID, bob.ID).Scan(&left, &bobs); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if left != 0 {
			t.Errorf("%s keeps %d rows of the deleted user", table, left)
		}
		if (table == "messages" || table == "completion_signatures" || table == "conversations") && bobs == 0 {
			t.Errorf("%s lost the other user's rows", table)
		}
	}
}
