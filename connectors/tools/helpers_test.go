package tools_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/internal/connectorstest"
	"confidant/internal/testdb"
	"confidant/store"
)

func newMemReader() *connectorstest.Reader { return connectorstest.NewReader() }

// answerFor makes a user with a conversation and an answer, for proposals
// to belong to.
func answerFor(t *testing.T, st *store.Store, name string) (userID, messageID uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	userID = uuid.New()
	if err := st.CreateUser(ctx, store.User{ID: userID, Username: name, DisplayName: name, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	convID, userMsg, answer := uuid.New(), uuid.New(), uuid.New()
	conv := store.Conversation{ID: convID, UserID: userID, Model: "sim-chat", CreatedAt: now}
	start := store.AnswerStart{UserID: userID, ConversationID: convID, NewConversation: &conv, Now: now,
		Turns:  []store.Message{{ID: userMsg, ConversationID: convID, UserID: userID, Role: store.RoleUser, Content: "hi", Status: store.StatusComplete, CreatedAt: now}},
		Answer: store.Message{ID: answer, ConversationID: convID, UserID: userID, ParentID: &userMsg, Role: store.RoleAssistant, Status: store.StatusStreaming, CreatedAt: now}}
	if _, err := st.StartAnswer(ctx, start); err != nil {
		t.Fatal(err)
	}
	return userID, answer
}

func newStore(t *testing.T) *store.Store { return testdb.NewStore(t) }
