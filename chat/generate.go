package chat

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"confidant/store"
)

// Error codes stored with an answer that did not complete; the UI words them.
const (
	CodeBackendFailed      = "backend_failed"
	CodeBackendInterrupted = "backend_interrupted"
	CodeShutdown           = "server_restarted"
)

// generate streams one answer, commits it every CommitEvery while it
// streams, and commits the end state. It runs on its own context: only
// Stop or a shutdown ends it early.
func (s *Service) generate(ctx context.Context, l *live, conv store.Conversation, answer store.Message, prompt []Prompt, title titling, recall, useTools bool) {
	defer s.wg.Done()
	defer l.cancel()
	log := s.opt.Log.With("conversation", conv.ID, "message", answer.ID)

	// Batches are committed beside the stream, never in its way.
	committed := make(chan struct{})
	streamDone := make(chan struct{})
	go func() {
		defer close(committed)
		s.commitBatches(ctx, l, conv.UserID, answer.ID, streamDone, log)
	}()
	stored := prompt // the turns as the conversation holds them
	if recall {
		prompt = s.withMemories(ctx, conv.UserID, answer.ID, prompt)
	}
	fromDocuments := false
	if conv.Documents != "" && s.opt.Documents != nil {
		prompt, fromDocuments = s.withSources(ctx, conv.UserID, answer.ID, conv.Documents, prompt)
	}
	receipt, usedTools, err := s.answer(ctx, l, conv, answer.ID, prompt, useTools)
	close(streamDone)
	<-committed

	status, code := store.StatusComplete, ""
	switch {
	case err == nil:
	case l.wasStopped():
		status = store.StatusStopped
	case ctx.Err() != nil:
		status, code = store.StatusInterrupted, CodeShutdown
	case errors.Is(err, ErrBackendInterrupted):
		status, code = store.StatusInterrupted, CodeBackendInterrupted
	case errors.Is(err, ErrBackendUnverified):
		status, code = store.StatusFailed, CodeBackendUnverified
		s.recordRefusal(conv.UserID, answer.ID, err)
	default:
		status, code = store.StatusFailed, CodeBackendFailed
		if snap, _ := l.get(); snap.Content != "" {
			status = store.StatusInterrupted
		}
	}
	if err != nil && status != store.StatusStopped {
		log.Warn("answer ended early", "status", status, "err", err)
	}
	snap, _ := l.get()
	plainTitle, titleFrom := "", ""
	if status == store.StatusComplete && title == titleFromPrompt {
		plainTitle = cleanTitle(firstUserText(prompt)) // committed with the answer: no transaction of its own
		if first, ok := firstUserTurn(stored); ok {
			titleFrom = first // searchable through its message
		}
	}
	var verdict *store.AnswerVerification
	var late <-chan store.AnswerVerification
	if status == store.StatusComplete {
		verdict, late = s.checkAnswer(receipt)
	}
	s.commitFinal(log, store.AnswerEnd{UserID: conv.UserID, MessageID: answer.ID, Content: snap.Content, Status: status, ErrorCode: code,
		ConversationID: conv.ID, Title: plainTitle, TitleFrom: titleFrom, Verification: verdict})
	l.finish(status, code)
	s.hub.remove(answer.ID)
	if late != nil {
		s.saveLateVerdict(conv.UserID, answer.ID, late)
	}

	if status == store.StatusComplete && title == titleByModel {
		s.title(conv, prompt, snap.Content, true)
	}
	if status == store.StatusComplete && recall && answer.ParentID != nil {
		if last := lastUserTurn(prompt); last >= 0 {
			s.learn(Exchange{UserID: conv.UserID, ConversationID: conv.ID, MessageID: *answer.ParentID, Model: conv.Model,
				UserMessage: prompt[last].Content, Answer: snap.Content, FromDocuments: fromDocuments || usedTools})
		}
	}
}

// titling says how a conversation gets its title after its first answer.
type titling int

const (
	titleNone       titling = iota // it has one, or will not get one now
	titleByModel                   // ask the model for a short title
	titleFromPrompt                // use the first words of the first message
)

// commitBatches commits a streaming answer's text every CommitEvery while
// it grows, until done is closed.
func (s *Service) commitBatches(ctx context.Context, l *live, userID, id uuid.UUID, done <-chan struct{}, log interface{ Warn(string, ...any) }) {
	t := time.NewTicker(s.opt.CommitEvery)
	defer t.Stop()
	saved := 0
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		snap, _ := l.get()
		if snap.Version == saved {
			continue
		}
		if err := s.store.SaveStreamingMessage(ctx, userID, id, snap.Content, s.opt.Now()); err != nil {
			// The final commit retries; a lost batch only matters on a crash.
			log.Warn("committing partial answer failed", "err", err)
			continue
		}
		saved = snap.Version
	}
}

// commitFinal stores the end state, with the conversation's title and
// the answer's verdict when they are given, retrying for a while so a
// database restart mid-answer loses nothing.
func (s *Service) commitFinal(log interface{ Error(string, ...any) }, end store.AnswerEnd) {
	delay := 100 * time.Millisecond
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		end.Now = s.opt.Now()
		err := s.store.EndAnswer(ctx, end)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			log.Error("answer could not be committed; it will show as interrupted", "err", err)
			return
		}
		time.Sleep(delay)
		delay = min(delay*2, 2*time.Second)
	}
}

// title names a new conversation from its first exchange, after the
// answer: never before the first token.
func (s *Service) title(conv store.Conversation, prompt []Prompt, answer string, byModel bool) {
	ctx, cancel := context.WithTimeout(s.base, 30*time.Second)
	defer cancel()
	var sb strings.Builder
	if byModel {
		ask := append(append([]Prompt{}, prompt...), Prompt{Role: store.RoleAssistant, Content: answer},
			Prompt{Role: store.RoleUser, Content: "Give this conversation a short title of at most six words. Answer with the title only."})
		if err := s.backend.Stream(ctx, conv.Model, ask, func(d string) error {
			if sb.Len() < 400 {
				sb.WriteString(d)
			}
			return nil
		}); err != nil {
			s.opt.Log.Warn("titling failed", "conversation", conv.ID, "err", err)
			return
		}
	}
	t := cleanTitle(sb.String())
	if t == "" {
		t = cleanTitle(firstUserText(prompt))
	}
	if err := s.store.UpdateConversation(ctx, conv.UserID, conv.ID, store.ConversationUpdate{Title: &t, OnlyIfNoTitle: true}, s.opt.Now()); err != nil {
		s.opt.Log.Warn("storing title failed", "conversation", conv.ID, "err", err)
	}
}

// cleanTitle keeps the first line, without quotes or markdown, in at most
// 60 characters.
func cleanTitle(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	s = strings.Trim(s, " \"'`*#_.:")
	if r := []rune(s); len(r) > 60 {
		s = strings.TrimSpace(string(r[:60])) + "…"
	}
	return s
}

func firstUserText(prompt []Prompt) string {
	if text, ok := firstUserTurn(prompt); ok {
		return text
	}
	return "New chat"
}

func firstUserTurn(prompt []Prompt) (string, bool) {
	for _, p := range prompt {
		if p.Role == store.RoleUser {
			return p.Content, true
		}
	}
	return "", false
}

// Stop ends one of the user's running answers; what was written so far is
// kept and the answer is marked stopped.
func (s *Service) Stop(ctx context.Context, userID, messageID uuid.UUID) error {
	l, ok := s.hub.get(messageID)
	if !ok || l.userID != userID {
		if _, err := s.store.Message(ctx, userID, messageID); err != nil {
			return notFound(err)
		}
		return nil // already finished
	}
	l.stop()
	return nil
}
