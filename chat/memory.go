package chat

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"confidant/store"
)

// Memory is the long-term memory an answer reads before it starts and
// teaches after it completes (memory.Service, adapted in web).
type Memory interface {
	// Recall returns the memories relevant to text.
	Recall(ctx context.Context, userID uuid.UUID, text string) ([]Recalled, error)
	// Learn keeps what a finished exchange holds worth remembering.
	Learn(ctx context.Context, ex Exchange) error
}

// Recalled is one memory given to an answer.
type Recalled struct {
	ID   uuid.UUID
	Text string
}

// Exchange is a finished turn: the user's message and its answer.
type Exchange struct {
	UserID         uuid.UUID
	ConversationID uuid.UUID
	MessageID      uuid.UUID // the user's message
	Model          string
	UserMessage    string
	Answer         string
	// FromDocuments says the answer was built on document passages, or on
	// mail and events its tools read: text the user did not write, which
	// may try to plant "facts". Only what the user asked to be remembered
	// is learned from such an exchange.
	FromDocuments bool
}

// recallTimeout bounds how long an answer waits for memories before it
// starts without them.
const recallTimeout = 3 * time.Second

// withMemories adds the memories relevant to the last user turn to the
// prompt as a system message, and records which ones the answer got. A
// memory that cannot be read costs the memories, never the answer.
func (s *Service) withMemories(ctx context.Context, userID, answerID uuid.UUID, prompt []Prompt) []Prompt {
	last := lastUserTurn(prompt)
	if last < 0 {
		return prompt
	}
	rctx, cancel := context.WithTimeout(ctx, recallTimeout)
	defer cancel()
	mems, err := s.opt.Memory.Recall(rctx, userID, prompt[last].Content)
	if err != nil {
		s.opt.Log.Warn("memories not recalled; answering without them", "err", err)
		return prompt
	}
	if len(mems) == 0 {
		return prompt
	}
	var b strings.Builder
	b.WriteString("What you remember about the user from earlier conversations. Use it only where it helps; do not mention this list unless asked:\n")
	ids := make([]uuid.UUID, len(mems))
	for i, m := range mems {
		b.WriteString("- " + m.Text + "\n")
		ids[i] = m.ID
	}
	lctx, lcancel := context.WithTimeout(ctx, linkTimeout)
	defer lcancel()
	if err := s.store.LinkMessageMemories(lctx, userID, answerID, ids); err != nil {
		s.opt.Log.Warn("memories used by an answer not recorded", "err", err)
	}
	return withSystem(prompt, b.String())
}

// linkTimeout bounds recording what an answer was given; it has its own
// budget, apart from the search's.
const linkTimeout = 5 * time.Second

// withSystem puts text at the head of the prompt's system message, making
// one if there is none: several chat templates accept only one system
// message, and only first.
func withSystem(prompt []Prompt, text string) []Prompt {
	if len(prompt) > 0 && prompt[0].Role == store.RoleSystem {
		out := append([]Prompt(nil), prompt...)
		out[0].Content = text + "\n\n" + out[0].Content
		return out
	}
	return append([]Prompt{{Role: store.RoleSystem, Content: text}}, prompt...)
}

// learn hands a completed exchange to memory, off the answer's path.
func (s *Service) learn(ex Exchange) {
	ctx, cancel := context.WithTimeout(s.base, time.Minute)
	defer cancel()
	if err := s.opt.Memory.Learn(ctx, ex); err != nil {
		s.opt.Log.Warn("nothing learned from an answer", "err", err)
	}
}

func lastUserTurn(prompt []Prompt) int {
	for i := len(prompt) - 1; i >= 0; i-- {
		if prompt[i].Role == "user" {
			return i
		}
	}
	return -1
}
