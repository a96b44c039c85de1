package inference_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"confidant/inference"
	"confidant/inference/simbackend"
)

func TestStreamOrder(t *testing.T) {
	b := newBackend(t, simbackend.Options{})
	c := newClient(t, inference.Config{}, b.URL)
	var deltas []inference.Delta
	res, err := c.Stream(context.Background(), chat("say one two three"), collect(&deltas))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range deltas {
		got = append(got, d.Content)
	}
	if want := []string{"one", " two", " three"}; !slices.Equal(got, want) {
		t.Errorf("deltas = %q, want %q", got, want)
	}
	if res.Content != "one two three" || res.FinishReason != "stop" || !strings.HasPrefix(res.ID, "chatcmpl-") ||
		res.Model != "sim-chat" || res.Usage.CompletionTokens != 3 || res.Attempts != 1 || res.BaseURL != b.URL {
		t.Errorf("result = %+v", res)
	}
	if len(res.ResponseBytes) == 0 || len(res.RequestBody) == 0 {
		t.Error("raw bytes not kept")
	}
}

func TestStreamDirectives(t *testing.T) {
	b := newBackend(t, simbackend.Options{DefaultTokens: 10})
	c := newClient(t, inference.Config{}, b.URL)
	tests := []struct {
		name       string
		user       string
		maxTokens  int
		wantDeltas int
		wantFinish string
		minTime    time.Duration
	}{
		{"default tokens", "tell me", 0, 10, "stop", 0},
		{"tokens", "tell me [[sim:tokens=25]]", 0, 25, "stop", 0},
		{"max tokens", "tell me [[sim:tokens=25]]", 4, 4, "length", 0},
		{"delay", "tell me [[sim:tokens=5]] [[sim:delay=15ms]]", 0, 5, "stop", 75 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := chat(tc.user)
			req.MaxTokens = tc.maxTokens
			var deltas []inference.Delta
			start := time.Now()
			res, err := c.Stream(context.Background(), req, collect(&deltas))
			if err != nil {
				t.Fatal(err)
			}
			if len(deltas) != tc.wantDeltas || res.FinishReason != tc.wantFinish || joinContent(deltas) != res.Content {
				t.Errorf("%d deltas, finish %q", len(deltas), res.FinishReason)
			}
			if d := time.Since(start); d < tc.minTime {
				t.Errorf("took %s, want at least %s", d, tc.minTime)
			}
			if strings.Contains(res.Content, "[[sim:") {
				t.Error("directive leaked into the answer")
			}
		})
	}
}

func TestStreamToolCall(t *testing.T) {
	b := newBackend(t, simbackend.Options{})
	c := newClient(t, inference.Config{}, b.URL)
	var deltas []inference.Delta
	res, err := c.Stream(context.Background(), chat(`[[sim:tool=search_mail {"from":"ana@example.com","limit":5}]]`), collect(&deltas))
	if err != nil {
		t.Fatal(err)
	}
	if len(deltas) < 2 || res.FinishReason != "tool_calls" || len(res.ToolCalls) != 1 {
		t.Fatalf("%d deltas, result %+v", len(deltas), res)
	}
	tc := res.ToolCalls[0]
	if tc.Function.Name != "search_mail" || tc.Function.Arguments != `{"from":"ana@example.com","limit":5}` ||
		!strings.HasPrefix(tc.ID, "call_") || tc.Type != "function" {
		t.Errorf("tool call = %+v", tc)
	}
}

func TestStreamFailAfterIsInterrupted(t *testing.T) {
	b1 := newBackend(t, simbackend.Options{})
	b2 := newBackend(t, simbackend.Options{})
	c := newClient(t, inference.Config{}, b1.URL, b2.URL)
	var deltas []inference.Delta
	res, err := c.Stream(context.Background(), chat("talk to me [[sim:fail-after=5]]"), collect(&deltas))
	if !errors.Is(err, inference.ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	var ie *inference.InterruptedError
	if !errors.As(err, &ie) {
		t.Fatal("not an *InterruptedError")
	}
	if len(deltas) != 5 || ie.Partial != joinContent(deltas) || res.Content != ie.Partial || ie.Partial == "" {
		t.Errorf("%d deltas, partial %q, result %q", len(deltas), ie.Partial, res.Content)
	}
	if res.FinishReason != "" {
		t.Errorf("finish reason %q on a broken stream", res.FinishReason)
	}
	// No retry after the first token: the second backend never saw it.
	if n1, n2 := b1.chats.Load(), b2.chats.Load(); n1 != 1 || n2 != 0 {
		t.Errorf("requests: first %d, second %d; want 1 and 0", n1, n2)
	}
	if strings.Contains(err.Error(), ie.Partial) {
		t.Error("the error text carries the user's content")
	}
}

func TestStreamCallbackError(t *testing.T) {
	b := newBackend(t, simbackend.Options{})
	c := newClient(t, inference.Config{}, b.URL, b.URL)
	stop := errors.New("enough")
	n := 0
	_, err := c.Stream(context.Background(), chat("talk"), func(inference.Delta) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || errors.Is(err, inference.ErrInterrupted) {
		t.Errorf("err = %v, want the callback's error as is", err)
	}
	if got := b.chats.Load(); got != 1 || n != 3 {
		t.Errorf("%d requests, %d deltas", got, n)
	}
}

func TestStreamContextCancel(t *testing.T) {
	b := newBackend(t, simbackend.Options{})
	c := newClient(t, inference.Config{}, b.URL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := c.Stream(ctx, chat("talk [[sim:delay=20ms]] [[sim:tokens=100]]"), func(inference.Delta) error {
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || errors.Is(err, inference.ErrInterrupted) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if res.Content == "" || b.chats.Load() != 1 {
		t.Errorf("partial %q after %d requests", res.Content, b.chats.Load())
	}
}
