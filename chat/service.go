// Package chat runs conversations: it stores every turn sealed, streams
// answers from an inference backend, commits them in batches as they
// stream, and lets any number of the owner's viewers follow a running
// answer. Answers end complete, stopped, interrupted or failed; none is
// silently lost.
package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"confidant/store"
)

// Prompt is one message sent to the backend.
type Prompt struct {
	Role    string
	Content string
}

// Backend streams one answer. It calls onDelta with each piece of text and
// returns when the answer ends. An error wrapping ErrBackendInterrupted
// means the stream broke after some text was delivered.
type Backend interface {
	Stream(ctx context.Context, model string, prompt []Prompt, onDelta func(string) error) error
}

// ErrBackendInterrupted marks a stream that died part-way.
var ErrBackendInterrupted = errors.New("chat: backend stream interrupted")

// Person-facing failures.
var (
	ErrEmptyMessage   = errors.New("chat: message is empty")
	ErrMessageTooLong = errors.New("chat: message is too long")
	ErrNotFound       = errors.New("chat: no such conversation or message")
	ErrBusy           = errors.New("chat: an answer is still being written")
)

// MaxMessageRunes bounds what a person can send in one message.
const MaxMessageRunes = 100_000

// Options configures a Service.
type Options struct {
	DefaultModel string
	CommitEvery  time.Duration // how often a streaming answer is committed
	// Memory, when set, is read before and taught after answers in the app
	// (not the API's, nor temporary chats).
	Memory Memory
	// Documents, when set, gives app answers passages of the documents
	// their conversation answers from.
	Documents Documents
	// Listen, when set, keeps a Postgres LISTEN connection so that viewers
	// here of answers other replicas write wake at each commit instead of
	// polling (see wakeups.go). Shutdown closes it.
	Listen bool
	// FollowPoll is how often a viewer of another replica's answer reads
	// it from the database between wake-ups, default 2 s with Listen and
	// CommitEvery without.
	FollowPoll time.Duration
	// VerdictWait is how long an answer's end waits for its signature
	// check, so that the verdict goes into the same write (default 250
	// ms, about one round trip to the backend; negative: no wait); a
	// slower check lands on its own.
	VerdictWait time.Duration
	Now         func() time.Time
	Log         *slog.Logger

	// Tools, when set, lets app answers use the user's connected mail and
	// calendar accounts (with a Backend that is a ToolBackend).
	Tools Tools
}

// Service is the chat domain. Generations run on a context of their own,
// so closing the browser tab does not stop an answer.
type Service struct {
	store   *store.Store
	backend Backend
	opt     Options
	hub     *hub

	base    context.Context // generations stop when it is cancelled
	stopAll context.CancelFunc
	wg      sync.WaitGroup

	wakes      *wakeups  // nil without Options.Listen
	replica    uuid.UUID // this process, as a viewer of other replicas' answers
	stopListen context.CancelFunc
	listening  sync.WaitGroup
}

// New builds a Service.
func New(st *store.Store, backend Backend, opt Options) *Service {
	if opt.CommitEvery == 0 {
		opt.CommitEvery = 250 * time.Millisecond
	}
	if opt.VerdictWait == 0 {
		opt.VerdictWait = 250 * time.Millisecond
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.DefaultModel == "" {
		opt.DefaultModel = "sim-chat"
	}
	if opt.FollowPoll == 0 {
		opt.FollowPoll = opt.CommitEvery
		if opt.Listen {
			opt.FollowPoll = 2 * time.Second
		}
	}
	base, cancel := context.WithCancel(context.Background())
	s := &Service{store: st, backend: backend, opt: opt, hub: newHub(), base: base, stopAll: cancel, replica: uuid.New(), stopListen: func() {}}
	if opt.Listen {
		s.wakes = newWakeups()
		ctx, stop := context.WithCancel(context.Background())
		s.stopListen = stop
		s.listening.Add(1)
		go func() { defer s.listening.Done(); s.listen(ctx) }()
	}
	return s
}

// Shutdown waits for running answers to finish until ctx ends, then stops
// them; their partial text is committed and marked interrupted.
func (s *Service) Shutdown(ctx context.Context) {
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.stopAll()
		<-done
	}
	s.stopListen()
	s.listening.Wait()
}

// Sent is what a send creates.
type Sent struct {
	Conversation store.Conversation
	User         store.Message
	Assistant    store.Message
}

func checkContent(content string) (string, error) {
	content = strings.TrimSpace(content)
	switch {
	case content == "":
		return "", ErrEmptyMessage
	case utf8.RuneCountInString(content) > MaxMessageRunes:
		return "", ErrMessageTooLong
	}
	return content, nil
}

// Send adds a message to a conversation (uuid.Nil starts a new one) after
// the branch on show, commits it, and starts the answer.
func (s *Service) Send(ctx context.Context, userID, conversationID uuid.UUID, content, model string) (Sent, error) {
	return s.SendWith(ctx, userID, conversationID, content, NewChat{Model: model})
}

// NewChat is how a new conversation starts.
type NewChat struct {
	Model     string // "" for the default
	Temporary bool   // neither reads nor writes memory
	Documents string // answer from the user's documents: "" none, "all", or a document id
}

// SendWith is Send with the settings of a new conversation.
func (s *Service) SendWith(ctx context.Context, userID, conversationID uuid.UUID, content string, nc NewChat) (Sent, error) {
	content, err := checkContent(content)
	if err != nil {
		return Sent{}, err
	}
	p := plan{recall: true, tools: true}
	if conversationID == uuid.Nil {
		model := nc.Model
		if model == "" {
			model = s.opt.DefaultModel
		}
		id, _ := uuid.NewV7()
		p.conv, p.isNew = store.Conversation{ID: id, UserID: userID, Model: model, Temporary: nc.Temporary, Documents: nc.Documents, CreatedAt: s.opt.Now()}, true
	} else {
		if p.conv, err = s.conversation(ctx, userID, conversationID); err != nil {
			return Sent{}, err
		}
		if p.conv.CurrentLeaf != nil && s.streaming(*p.conv.CurrentLeaf) {
			return Sent{}, ErrBusy
		}
		if p.prior, err = s.store.Messages(ctx, userID, conversationID); err != nil {
			return Sent{}, err
		}
	}
	user := s.userTurn(p.conv, p.conv.CurrentLeaf, content)
	p.add = []store.Message{user}
	answer, err := s.commitAndStart(ctx, p, user.ID)
	if err != nil {
		return Sent{}, err
	}
	p.conv.CurrentLeaf = &answer.ID
	return Sent{Conversation: p.conv, User: user, Assistant: answer}, nil
}

// streaming reports whether this process is generating message id.
func (s *Service) streaming(id uuid.UUID) bool {
	l, ok := s.hub.get(id)
	if !ok {
		return false
	}
	snap, _ := l.get()
	return snap.Status == store.StatusStreaming
}

// userTurn makes a user message under parent.
func (s *Service) userTurn(conv store.Conversation, parent *uuid.UUID, content string) store.Message {
	id, _ := uuid.NewV7()
	return store.Message{ID: id, ConversationID: conv.ID, UserID: conv.UserID, ParentID: parent, Role: store.RoleUser,
		Content: content, Status: store.StatusComplete, CreatedAt: s.opt.Now()}
}

// Edit sends a new version of one of the user's messages: a sibling with
// the same parent, so the old branch stays reachable.
func (s *Service) Edit(ctx context.Context, userID, messageID uuid.UUID, content string) (Sent, error) {
	content, err := checkContent(content)
	if err != nil {
		return Sent{}, err
	}
	m, err := s.store.Message(ctx, userID, messageID)
	if err != nil {
		return Sent{}, notFound(err)
	}
	if m.Role != store.RoleUser {
		return Sent{}, ErrNotFound
	}
	p := plan{}
	if p.conv, err = s.conversation(ctx, userID, m.ConversationID); err != nil {
		return Sent{}, err
	}
	if p.prior, err = s.store.Messages(ctx, userID, m.ConversationID); err != nil {
		return Sent{}, err
	}
	p.recall, p.tools = true, true
	user := s.userTurn(p.conv, m.ParentID, content)
	p.add = []store.Message{user}
	answer, err := s.commitAndStart(ctx, p, user.ID)
	if err != nil {
		return Sent{}, err
	}
	p.conv.CurrentLeaf = &answer.ID
	return Sent{Conversation: p.conv, User: user, Assistant: answer}, nil
}

// Regenerate writes a new version of one of the user's answers.
func (s *Service) Regenerate(ctx context.Context, userID, assistantID uuid.UUID) (store.Message, error) {
	m, err := s.store.Message(ctx, userID, assistantID)
	if err != nil {
		return store.Message{}, notFound(err)
	}
	if m.Role != store.RoleAssistant || m.ParentID == nil {
		return store.Message{}, ErrNotFound
	}
	if s.streaming(m.ID) {
		return store.Message{}, ErrBusy
	}
	p := plan{recall: true, tools: true}
	if p.conv, err = s.conversation(ctx, userID, m.ConversationID); err != nil {
		return store.Message{}, err
	}
	if p.prior, err = s.store.Messages(ctx, userID, m.ConversationID); err != nil {
		return store.Message{}, err
	}
	return s.commitAndStart(ctx, p, *m.ParentID)
}

// plan is what one send commits, in one transaction, before its answer
// starts: so the person's message is durable before any backend sees it,
// at the cost of a single commit.
type plan struct {
	conv  store.Conversation
	isNew bool            // create conv too
	prior []store.Message // the conversation's messages before this send
	add   []store.Message // new turns, each the parent of the next
	// plainTitle titles the conversation from its first message instead of
	// asking the model: API chats come in volume, and each title would cost
	// another completion.
	plainTitle bool
	// recall reads and teaches memory: app chats do, API chats (which
	// bring their own context) and temporary chats do not.
	recall bool
	// tools offers the user's connected accounts' tools: app chats do,
	// API chats do not.
	tools bool
}

// commitAndStart commits p's turns and an empty streaming answer under
// parent, makes it the branch on show, and starts generating it. The
// commit is one round trip to the database, which also brings the user's
// custom instructions for the prompt.
func (s *Service) commitAndStart(ctx context.Context, p plan, parent uuid.UUID) (store.Message, error) {
	id, _ := uuid.NewV7()
	now := s.opt.Now()
	answer := store.Message{ID: id, ConversationID: p.conv.ID, UserID: p.conv.UserID, ParentID: &parent, Role: store.RoleAssistant,
		Status: store.StatusStreaming, Model: p.conv.Model, CreatedAt: now}
	start := store.AnswerStart{UserID: p.conv.UserID, ConversationID: p.conv.ID, Turns: p.add, Answer: answer, Now: now}
	if p.isNew {
		start.NewConversation = &p.conv
	}
	instructions, err := s.store.StartAnswer(ctx, start)
	if err != nil {
		return store.Message{}, notFound(err)
	}
	all := append(append([]store.Message{}, p.prior...), p.add...)
	prompt := promptFor(all, parent)
	if instructions != "" {
		prompt = append([]Prompt{{Role: store.RoleSystem, Content: instructions}}, prompt...)
	}
	genCtx, cancel := context.WithCancel(carryZone(ctx, s.base))
	l := newLive(p.conv.UserID, cancel, store.StatusStreaming)
	s.hub.add(answer.ID, l)
	s.wg.Add(1)
	title := titleNone
	if p.conv.Title == "" && !hasAnswer(p.prior) {
		title = titleByModel
		if p.plainTitle {
			title = titleFromPrompt
		}
	}
	recall := p.recall && !p.conv.Temporary && s.opt.Memory != nil
	go s.generate(genCtx, l, p.conv, answer, prompt, title, recall, p.tools)
	return answer, nil
}

// promptFor walks from parent to the root and returns the turns in order.
func promptFor(all []store.Message, parent uuid.UUID) []Prompt {
	var rev []Prompt
	for _, t := range Thread(all, &parent) {
		rev = append(rev, Prompt{Role: t.Role, Content: t.Content})
	}
	return rev
}

func (s *Service) conversation(ctx context.Context, userID, id uuid.UUID) (store.Conversation, error) {
	c, err := s.store.Conversation(ctx, userID, id)
	return c, notFound(err)
}

func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

// Follow calls fn with the answer's state now and after every change until
// the answer ends or ctx is done. An answer this process is not generating
// is read from the database, polling while another replica streams it.
func (s *Service) Follow(ctx context.Context, userID, messageID uuid.UUID, fn func(Snapshot) error) error {
	if l, ok := s.hub.get(messageID); ok && l.userID == userID {
		last := -1
		for {
			snap, changed := l.get()
			if snap.Version != last {
				if err := fn(snap); err != nil {
					return err
				}
				last = snap.Version
			}
			if snap.Status != store.StatusStreaming {
				return nil
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	var wake <-chan struct{} // nil until registered: a finished answer costs no registration
	renew := func() {}
	lastLen := -1
	for {
		m, err := s.store.Message(ctx, userID, messageID)
		if err != nil {
			return notFound(err)
		}
		snap := Snapshot{Content: m.Content, Status: m.Status, ErrorCode: m.ErrorCode, Version: len(m.Content)}
		if m.Status == store.StatusStreaming && s.opt.Now().Sub(m.UpdatedAt) > staleAfter {
			snap.Status, snap.ErrorCode = store.StatusInterrupted, CodeShutdown // nobody is writing it any more
		}
		if snap.Version != lastLen || snap.Status != store.StatusStreaming {
			if err := fn(snap); err != nil {
				return err
			}
			lastLen = snap.Version
		}
		if snap.Status != store.StatusStreaming {
			return nil
		}
		if l, ok := s.hub.get(messageID); ok && l.userID == userID {
			return s.Follow(ctx, userID, messageID, fn)
		}
		if wake == nil && s.wakes != nil {
			var done func()
			wake, renew, done = s.following(ctx, messageID)
			defer done()
			continue // read again: a commit may have come before the registration
		}
		renew()
		select {
		case <-wake:
		case <-time.After(s.opt.FollowPoll):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// staleAfter is how long a streaming answer may go without a commit before
// viewers treat it as interrupted.
const staleAfter = time.Minute

// Conversation returns one of the user's conversations and the whole
// branch on show.
func (s *Service) Conversation(ctx context.Context, userID, id uuid.UUID) (store.Conversation, []Turn, error) {
	conv, turns, _, err := s.ConversationWindow(ctx, userID, id, uuid.Nil, 0)
	return conv, turns, err
}

// ConversationWindow returns one of the user's conversations and n turns
// of its branch on show: the last n before the turn before (uuid.Nil: the
// branch's end; a turn no longer on it: none), or all of them when n is
// 0. earlier says whether turns come before the window. Only the window's
// text is opened, so that a long conversation costs its window, not its
// length.
func (s *Service) ConversationWindow(ctx context.Context, userID, id, before uuid.UUID, n int) (conv store.Conversation, window []Turn, earlier bool, err error) {
	conv, err = s.conversation(ctx, userID, id)
	if err != nil {
		return store.Conversation{}, nil, false, err
	}
	outline, err := s.store.MessageOutline(ctx, userID, id)
	if err != nil {
		return store.Conversation{}, nil, false, err
	}
	turns := Thread(outline, conv.CurrentLeaf)
	end := len(turns)
	if before != uuid.Nil {
		end = max(0, slices.IndexFunc(turns, func(t Turn) bool { return t.ID == before }))
	}
	from := 0
	if n > 0 {
		from = max(0, end-n)
	}
	window = turns[from:end]
	if len(window) == 0 {
		return conv, nil, from > 0, nil
	}
	ids := make([]uuid.UUID, len(window))
	for i, t := range window {
		ids[i] = t.ID
	}
	texts, err := s.store.MessageContents(ctx, userID, id, ids)
	if err != nil {
		return store.Conversation{}, nil, false, err
	}
	for i := range window {
		window[i].Content = texts[window[i].ID]
	}
	return conv, window, from > 0, nil
}

// ShowVersion switches the branch on show to the newest leaf under
// messageID, one of the versions of a turn.
func (s *Service) ShowVersion(ctx context.Context, userID, messageID uuid.UUID) (uuid.UUID, error) {
	m, err := s.store.Message(ctx, userID, messageID)
	if err != nil {
		return uuid.Nil, notFound(err)
	}
	all, err := s.store.Messages(ctx, userID, m.ConversationID)
	if err != nil {
		return uuid.Nil, err
	}
	leaf := Newest(all, messageID)
	err = s.store.UpdateConversation(ctx, userID, m.ConversationID, store.ConversationUpdate{CurrentLeaf: &leaf}, s.opt.Now())
	return m.ConversationID, err
}

// SendPrompt starts a conversation from a whole prompt, as the
// OpenAI-compatible API receives one: every message is stored as a turn
// (they are the user's chats like any other) and the answer is started.
// The last message must be the user's.
func (s *Service) SendPrompt(ctx context.Context, userID uuid.UUID, model string, prompt []Prompt) (Sent, error) {
	if len(prompt) == 0 || prompt[len(prompt)-1].Role != store.RoleUser {
		return Sent{}, ErrEmptyMessage
	}
	for i, p := range prompt {
		switch p.Role {
		case store.RoleSystem, store.RoleUser, store.RoleAssistant:
		default:
			return Sent{}, fmt.Errorf("%w: message %d has role %q", ErrBadPrompt, i, p.Role)
		}
		if utf8.RuneCountInString(p.Content) > MaxMessageRunes {
			return Sent{}, ErrMessageTooLong
		}
	}
	if model == "" {
		model = s.opt.DefaultModel
	}
	id, _ := uuid.NewV7()
	p := plan{conv: store.Conversation{ID: id, UserID: userID, Model: model, CreatedAt: s.opt.Now()}, isNew: true, plainTitle: true}
	var parent *uuid.UUID
	for _, turn := range prompt {
		mid, _ := uuid.NewV7()
		p.add = append(p.add, store.Message{ID: mid, ConversationID: p.conv.ID, UserID: userID, ParentID: parent, Role: turn.Role,
			Content: turn.Content, Status: store.StatusComplete, CreatedAt: s.opt.Now()})
		parent = &mid
	}
	last := p.add[len(p.add)-1]
	answer, err := s.commitAndStart(ctx, p, last.ID)
	if err != nil {
		return Sent{}, err
	}
	p.conv.CurrentLeaf = &answer.ID
	return Sent{Conversation: p.conv, User: last, Assistant: answer}, nil
}

// ErrBadPrompt means an API prompt has a message the chat cannot store.
var ErrBadPrompt = errors.New("chat: invalid prompt")

// hasAnswer reports whether a conversation already has a complete answer,
// after which its title has been generated.
func hasAnswer(all []store.Message) bool {
	for _, m := range all {
		if m.Role == store.RoleAssistant && m.Status == store.StatusComplete {
			return true
		}
	}
	return false
}
