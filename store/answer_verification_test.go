package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"time"

	"confidant/enclave/seal"
	"confidant/internal/testdb"
	"confidant/store"
)

func TestAnswerVerificationSealed(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	kr, reg := testdb.Keys(t)
	s := store.New(pool, kr, reg)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	conv := mustConversation(t, s, alice.ID, "", time.Now())
	q := mustMessage(t, s, conv, nil, store.RoleUser, "question", store.StatusComplete)
	a1 := mustMessage(t, s, conv, &q.ID, store.RoleAssistant, "answer one", store.StatusComplete)
	a2 := mustMessage(t, s, conv, &q.ID, store.RoleAssistant, "answer two", store.StatusComplete)

	if _, err := s.AnswerVerification(ctx, alice.ID, a1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("before any check: %v, want ErrNotFound", err)
	}
	const text = "3f0c7a0e4c1b9b8d0f6b4a2e1d9c8b7a6f5e4d3c2b1a09f8e7d6c5b4a3928170:aa11bb22cc33dd44ee55ff6600112233445566778899aabbccddeeff00112233"
	v := store.AnswerVerification{State: store.VerificationAmber, Reason: "simulated", Backend: "http://127.0.0.1:1",
		SigningAddress: "0xabc", SigningAlgo: "ecdsa", Signature: "0xsig", Text: text,
		CheckedAt: time.Now().UTC().Truncate(time.Second), ReportVerifiedAt: time.Now().UTC().Add(-time.Minute).Truncate(time.Second),
		ReportChecks: []store.ReportCheck{{Name: "tdx_quote", Status: "skipped", Detail: "simulated"}}}
	if err := s.SaveAnswerVerification(ctx, alice.ID, a1.ID, v); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAnswerVerification(ctx, bob.ID, a2.ID, v); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("saving on another user's message: %v, want ErrNotFound", err)
	}
	got, err := s.AnswerVerification(ctx, alice.ID, a1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != text || got.State != v.State || !got.CheckedAt.Equal(v.CheckedAt) || len(got.ReportChecks) != 1 {
		t.Fatalf("round trip: %+v", got)
	}
	if _, err := s.AnswerVerification(ctx, bob.ID, a1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user reads it: %v", err)
	}
	all, err := s.AnswerVerifications(ctx, alice.ID, conv.ID, []uuid.UUID{a1.ID, a2.ID})
	if err != nil || len(all) != 1 || all[a1.ID].Text != text {
		t.Fatalf("by conversation: %v %+v", err, all)
	}
	if some, err := s.AnswerVerifications(ctx, alice.ID, conv.ID, []uuid.UUID{a2.ID}); err != nil || len(some) != 0 {
		t.Fatalf("verdicts of answers not asked for: %v %+v", err, some)
	}
	if theirs, err := s.AnswerVerifications(ctx, bob.ID, conv.ID, []uuid.UUID{a1.ID}); err != nil || len(theirs) != 0 {
		t.Fatalf("another user reads them by conversation: %v %+v", err, theirs)
	}

	var raw []byte
	if err := pool.QueryRow(ctx, `SELECT verification_sealed FROM messages WHERE id = $1`, a1.ID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), text[:16]) || strings.Contains(string(raw), "ecdsa") {
		t.Fatal("plaintext in the sealed verification column")
	}
	// A verdict moved to another answer of the same user fails to open.
	if _, err := pool.Exec(ctx, `UPDATE messages SET verification_sealed = (SELECT verification_sealed FROM messages WHERE id = $1) WHERE id = $2`, a1.ID, a2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AnswerVerification(ctx, alice.ID, a2.ID); !errors.Is(err, seal.ErrCorrupt) {
		t.Fatalf("moved verdict: %v, want ErrCorrupt", err)
	}
}
