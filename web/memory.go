package web

import (
	"context"

	"github.com/google/uuid"

	"confidant/chat"
	"confidant/memory"
)

// recallPerAnswer is how many memories an answer is given at most.
const recallPerAnswer = 5

// chatMemory lets the chat read and teach the memory service: it recalls
// with embeddings and learns with the conversation's own model.
type chatMemory struct {
	svc     *memory.Service
	backend memory.Completer
}

func (m chatMemory) Recall(ctx context.Context, userID uuid.UUID, text string) ([]chat.Recalled, error) {
	mems, err := m.svc.Relevant(ctx, userID, text, recallPerAnswer)
	if err != nil {
		return nil, err
	}
	out := make([]chat.Recalled, len(mems))
	for i, mem := range mems {
		out[i] = chat.Recalled{ID: mem.ID, Text: mem.Text}
	}
	return out, nil
}

func (m chatMemory) Learn(ctx context.Context, ex chat.Exchange) error {
	var extract memory.Extractor = memory.ModelExtractor{Backend: m.backend, Model: ex.Model}
	if ex.FromDocuments {
		extract = nil // explicit requests only: documents may carry planted "facts"
	}
	_, err := m.svc.Learn(ctx, memory.Exchange{UserID: ex.UserID, ConversationID: ex.ConversationID, MessageID: ex.MessageID,
		UserMessage: ex.UserMessage, Answer: ex.Answer}, extract)
	return err
}
