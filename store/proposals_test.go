package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/internal/testdb"
	"confidant/store"
)

// Proposals and the tools an answer used are sealed, scoped to their
// owner, and move from pending only once.
func TestProposalsAndToolUses(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	kr, reg := testdb.Keys(t)
	s := store.New(pool, kr, reg)
	ctx := context.Background()
	alice, bob := mustUser(t, s, "alice"), mustUser(t, s, "bob")
	conv := mustConversation(t, s, alice.ID, "t", time.Now())
	answer := mustMessage(t, s, conv, nil, store.RoleAssistant, "answer", store.StatusComplete)
	now := time.Now().UTC().Truncate(time.Microsecond)

	payload := `{"Text":"Canary-reply-text-91x"}`
	p, err := s.CreateProposal(ctx, store.Proposal{ID: uuid.New(), UserID: alice.ID, MessageID: answer.ID, ConnectorID: uuid.New(),
		Kind: store.ProposalReply, Payload: payload, CreatedAt: now})
	if err != nil || p.ConversationID != conv.ID || p.Status != store.ProposalPending {
		t.Fatalf("create: %+v %v", p, err)
	}
	if _, err := s.CreateProposal(ctx, store.Proposal{ID: uuid.New(), UserID: bob.ID, MessageID: answer.ID, ConnectorID: uuid.New(),
		Kind: store.ProposalReply, Payload: "{}", CreatedAt: now}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a proposal under another user's answer: %v", err)
	}
	if _, err := s.Proposal(ctx, bob.ID, p.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user reads it: %v", err)
	}
	if err := s.SetProposalStatus(ctx, bob.ID, p.ID, store.ProposalPending, store.ProposalExecuting, "", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user moves it: %v", err)
	}
	if err := s.SetProposalStatus(ctx, alice.ID, p.ID, store.ProposalPending, store.ProposalExecuting, "", now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProposalStatus(ctx, alice.ID, p.ID, store.ProposalPending, store.ProposalExecuting, "", now); !errors.Is(err, store.ErrProposalNotPending) {
		t.Fatalf("a second claim: %v", err)
	}
	if err := s.SetProposalStatus(ctx, alice.ID, p.ID, store.ProposalExecuting, store.ProposalDone, "Canary-result-77y", now); err != nil {
		t.Fatal(err)
	}
	got, err := s.MessageProposals(ctx, alice.ID, []uuid.UUID{answer.ID})
	if err != nil || len(got[answer.ID]) != 1 || got[answer.ID][0].Payload != payload || got[answer.ID][0].Result != "Canary-result-77y" {
		t.Fatalf("message proposals: %+v %v", got, err)
	}
	if got, _ := s.MessageProposals(ctx, bob.ID, []uuid.UUID{answer.ID}); len(got) != 0 {
		t.Fatalf("bob sees %+v", got)
	}

	if err := s.SaveMessageTools(ctx, alice.ID, answer.ID, []string{"search_mail", "read_mail"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveMessageTools(ctx, bob.ID, answer.ID, []string{"x"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob records tools on alice's answer: %v", err)
	}
	used, err := s.MessageTools(ctx, alice.ID, []uuid.UUID{answer.ID})
	if err != nil || strings.Join(used[answer.ID], ",") != "search_mail,read_mail" {
		t.Fatalf("tools: %v %v", used, err)
	}

	var sealedPayload, sealedResult, sealedTools []byte
	if err := pool.QueryRow(ctx, `SELECT payload_sealed, result_sealed FROM assistant_proposals WHERE id = $1`, p.ID).Scan(&sealedPayload, &sealedResult); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT tools_sealed FROM message_tool_uses WHERE message_id = $1`, answer.ID).Scan(&sealedTools); err != nil {
		t.Fatal(err)
	}
	for _, leak := range []struct{ col, plain string }{{string(sealedPayload), "Canary-reply"}, {string(sealedResult), "Canary-result"}, {string(sealedTools), "search_mail"}} {
		if strings.Contains(leak.col, leak.plain) {
			t.Errorf("plaintext %q in a sealed column", leak.plain)
		}
	}
}
