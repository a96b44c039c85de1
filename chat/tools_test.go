package chat_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	openai "github.com/sashabaranov/go-openai"

	"confidant/chat"
	"confidant/inference"
	"confidant/internal/testdb"
	"confidant/store"
)

// round is one backend round of a tool-using answer.
type round struct {
	tokens []string
	call   string // a tool to call at the end, "" for none
	fail   bool   // break the stream after the tokens
}

// toolBackend plays rounds in order; past the last it repeats the last.
type toolBackend struct {
	scripted
	mu2      sync.Mutex
	rounds   []round
	requests [][]inference.Message
	offered  [][]openai.Tool
}

func (b *toolBackend) StreamTools(ctx context.Context, model string, msgs []inference.Message, tools []openai.Tool, onDelta func(string) error) (inference.Result, error) {
	b.mu2.Lock()
	i := min(len(b.requests), len(b.rounds)-1)
	b.requests = append(b.requests, append([]inference.Message(nil), msgs...))
	b.offered = append(b.offered, tools)
	r := b.rounds[i]
	b.mu2.Unlock()
	var res inference.Result
	for _, tok := range r.tokens {
		res.Content += tok
		if err := onDelta(tok); err != nil {
			return res, err
		}
	}
	if r.fail {
		return res, fmt.Errorf("reset: %w", chat.ErrBackendInterrupted)
	}
	if r.call != "" && len(tools) > 0 {
		res.ToolCalls = []openai.ToolCall{{ID: fmt.Sprintf("call_%d", i), Type: openai.ToolTypeFunction,
			Function: openai.FunctionCall{Name: r.call, Arguments: `{"from":"tomorrow"}`}}}
		res.FinishReason = "tool_calls"
	}
	return res, nil
}

// fakeTools offers one tool when the user has accounts and records calls.
type fakeTools struct {
	mu       sync.Mutex
	accounts bool
	offers   int
	calls    []string
	block    bool // a call waits for its context to end
	memory   *learnedMemory
}

func (f *fakeTools) Offer(context.Context, uuid.UUID) ([]openai.Tool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.offers++
	if !f.accounts {
		return nil, nil
	}
	return []openai.Tool{{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{Name: "list_events"}}}, nil
}

func (f *fakeTools) Call(ctx context.Context, userID, messageID uuid.UUID, name, arguments string) string {
	f.mu.Lock()
	f.calls = append(f.calls, name+" "+arguments+" "+messageID.String())
	block := f.block
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return `{"ok":false,"error":"stopped"}`
	}
	return `{"ok":true,"data":{"events":[{"summary":"Standup"}]}}`
}

// learnedMemory records what answers would teach memory.
type learnedMemory struct {
	mu        sync.Mutex
	exchanges []chat.Exchange
}

func (m *learnedMemory) Recall(context.Context, uuid.UUID, string) ([]chat.Recalled, error) {
	return nil, nil
}

func (m *learnedMemory) Learn(_ context.Context, ex chat.Exchange) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.exchanges = append(m.exchanges, ex)
	return nil
}

func (m *learnedMemory) waitOne(t *testing.T) chat.Exchange {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m.mu.Lock()
		if len(m.exchanges) > 0 {
			defer m.mu.Unlock()
			return m.exchanges[0]
		}
		m.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("nothing was taught to memory")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func toolSetup(t *testing.T, tools *fakeTools, rounds ...round) (*chat.Service, *store.Store, store.User, *toolBackend) {
	t.Helper()
	t.Parallel()
	st := testdb.NewStore(t)
	u := store.User{ID: uuid.New(), Username: "tom", DisplayName: "Tom", CreatedAt: time.Now()}
	if err := st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	b := &toolBackend{scripted: scripted{tokens: []string{"plain answer"}}, rounds: rounds}
	opt := chat.Options{CommitEvery: 10 * time.Millisecond, Tools: tools}
	if tools.memory != nil {
		opt.Memory = tools.memory
	}
	svc := chat.New(st, b, opt)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		svc.Shutdown(ctx)
	})
	return svc, st, u, b
}

// Tool calls are run and their results sent back until the model answers
// in text; the text of every round is the answer's, and the tools used
// are recorded with it. Memory learns only explicit requests from such an
// answer: mail may try to plant "facts".
func TestToolRounds(t *testing.T) {
	tools := &fakeTools{accounts: true, memory: &learnedMemory{}}
	svc, st, u, b := toolSetup(t, tools, round{tokens: []string{"Let me look. "}, call: "list_events"}, round{tokens: []string{"You have ", "Standup."}})
	ctx := context.Background()
	sent, err := svc.Send(ctx, u.ID, uuid.Nil, "What is on tomorrow?", "")
	if err != nil {
		t.Fatal(err)
	}
	snap := wait(t, svc, u.ID, sent.Assistant.ID)
	if snap.Status != store.StatusComplete || snap.Content != "Let me look. You have Standup." {
		t.Fatalf("answer %+v", snap)
	}
	if len(tools.calls) != 1 || tools.calls[0] != `list_events {"from":"tomorrow"} `+sent.Assistant.ID.String() {
		t.Fatalf("calls %v", tools.calls)
	}
	if len(b.requests) != 2 {
		t.Fatalf("%d rounds", len(b.requests))
	}
	first, second := b.requests[0], b.requests[1]
	if first[0].Role != inference.RoleSystem || !strings.Contains(first[0].Content, "untrusted") {
		t.Errorf("no system prompt about tools: %+v", first[0])
	}
	n := len(second)
	if second[n-2].Role != inference.RoleAssistant || len(second[n-2].ToolCalls) != 1 || second[n-1].Role != inference.RoleTool ||
		second[n-1].ToolCallID != "call_0" || !strings.Contains(second[n-1].Content, "Standup") {
		t.Fatalf("second round ends with %+v", second[n-2:])
	}
	m, _ := st.Message(ctx, u.ID, sent.Assistant.ID)
	if m.Content != snap.Content || m.Status != store.StatusComplete {
		t.Fatalf("stored %+v", m)
	}
	used, err := st.MessageTools(ctx, u.ID, []uuid.UUID{sent.Assistant.ID})
	if err != nil || strings.Join(used[sent.Assistant.ID], ",") != "list_events" {
		t.Fatalf("tools used %v %v", used, err)
	}
	if ex := tools.memory.waitOne(t); !ex.FromDocuments {
		t.Errorf("memory may extract facts from an answer built on mail: %+v", ex)
	}
}

// A model that keeps calling tools gets maxToolRounds rounds, then one
// without tools, which must answer in text.
func TestToolRoundsBounded(t *testing.T) {
	tools := &fakeTools{accounts: true}
	svc, _, u, b := toolSetup(t, tools, round{tokens: []string{"again "}, call: "list_events"})
	sent, err := svc.Send(context.Background(), u.ID, uuid.Nil, "loop", "")
	if err != nil {
		t.Fatal(err)
	}
	snap := wait(t, svc, u.ID, sent.Assistant.ID)
	if snap.Status != store.StatusComplete || len(tools.calls) != 4 || len(b.requests) != 5 || len(b.offered[4]) != 0 {
		t.Fatalf("status %s, %d calls, %d rounds, last offered %d tools", snap.Status, len(tools.calls), len(b.requests), len(b.offered[4]))
	}
}

// A stream that breaks in a later round keeps the text of every round and
// is marked interrupted, as any answer.
func TestToolRoundInterrupted(t *testing.T) {
	tools := &fakeTools{accounts: true}
	svc, st, u, _ := toolSetup(t, tools, round{tokens: []string{"Partial "}, call: "list_events"}, round{tokens: []string{"more"}, fail: true})
	sent, err := svc.Send(context.Background(), u.ID, uuid.Nil, "tomorrow?", "")
	if err != nil {
		t.Fatal(err)
	}
	snap := wait(t, svc, u.ID, sent.Assistant.ID)
	m, _ := st.Message(context.Background(), u.ID, sent.Assistant.ID)
	if snap.Status != store.StatusInterrupted || m.Status != store.StatusInterrupted || m.Content != "Partial more" {
		t.Fatalf("snapshot %+v stored %+v", snap, m)
	}
}

// Stopping an answer while a tool runs ends the tool and keeps the text.
func TestStopDuringToolCall(t *testing.T) {
	tools := &fakeTools{accounts: true, block: true}
	svc, st, u, _ := toolSetup(t, tools, round{tokens: []string{"Looking… "}, call: "list_events"}, round{tokens: []string{"never"}})
	ctx := context.Background()
	sent, err := svc.Send(ctx, u.ID, uuid.Nil, "tomorrow?", "")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		tools.mu.Lock()
		n := len(tools.calls)
		tools.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the tool was never called")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := svc.Stop(ctx, u.ID, sent.Assistant.ID); err != nil {
		t.Fatal(err)
	}
	snap := wait(t, svc, u.ID, sent.Assistant.ID)
	m, _ := st.Message(ctx, u.ID, sent.Assistant.ID)
	if snap.Status != store.StatusStopped || m.Content != "Looking… " {
		t.Fatalf("snapshot %+v stored %+v", snap, m)
	}
}

// Without connected accounts, and in API chats, no tools are offered and
// the answer streams as before.
func TestNoToolsWithoutAccountsOrInAPI(t *testing.T) {
	tools := &fakeTools{}
	svc, _, u, b := toolSetup(t, tools, round{tokens: []string{"tool round"}})
	ctx := context.Background()
	sent, err := svc.Send(ctx, u.ID, uuid.Nil, "hi", "")
	if err != nil {
		t.Fatal(err)
	}
	if snap := wait(t, svc, u.ID, sent.Assistant.ID); snap.Content != "plain answer" || len(b.requests) != 0 || tools.offers != 1 {
		t.Fatalf("answer %+v, %d tool rounds, %d offers", snap, len(b.requests), tools.offers)
	}
	tools.mu.Lock()
	tools.accounts = true
	tools.mu.Unlock()
	api, err := svc.SendPrompt(ctx, u.ID, "", []chat.Prompt{{Role: store.RoleUser, Content: "hi from the API"}})
	if err != nil {
		t.Fatal(err)
	}
	if snap := wait(t, svc, u.ID, api.Assistant.ID); snap.Content != "plain answer" || len(b.requests) != 0 || tools.offers != 1 {
		t.Fatalf("API answer %+v, %d tool rounds, %d offers", snap, len(b.requests), tools.offers)
	}
}
