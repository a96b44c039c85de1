package simbackend_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"confidant/inference/simbackend"
)

type completionBody struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Role      string  `json:"role"`
			Content   *string `json:"content"`
			ToolCalls []struct {
				ID       string `json:"id"`
				Type     string `json:"type"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
}

func TestChatNonStreaming(t *testing.T) {
	_, ts := newServer(t, simbackend.Options{DefaultTokens: 12})
	tests := []struct {
		name       string
		user       string
		extra      map[string]any
		wantText   string // exact, when set
		wantTokens int
		wantFinish string
		wantTool   string
	}{
		{"default length", "tell me something", nil, "", 12, "stop", ""},
		{"echo", "Say hello, world!", nil, "hello, world!", 2, "stop", ""},
		{"repeat with directive", "repeat: one two three [[sim:tokens=99]]", nil, "one two three", 3, "stop", ""},
		{"tokens directive", "[[sim:tokens=30]] talk", nil, "", 30, "stop", ""},
		{"max_tokens", "talk", map[string]any{"max_tokens": 5}, "", 5, "length", ""},
		{"tool", `[[sim:tool=lookup {"q":"x"}]]`, nil, "", 2, "tool_calls", "lookup"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := do(t, "POST", ts.URL+"/v1/chat/completions", chatBody(t, "sim-chat", tc.user, false, tc.extra))
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			var c completionBody
			if err := json.Unmarshal(body, &c); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(c.ID, "chatcmpl-") || c.Object != "chat.completion" || c.Model != "sim-chat" || len(c.Choices) != 1 {
				t.Fatalf("completion = %s", body)
			}
			ch := c.Choices[0]
			if ch.FinishReason != tc.wantFinish || ch.Message.Role != "assistant" {
				t.Errorf("finish %q role %q", ch.FinishReason, ch.Message.Role)
			}
			if c.Usage.CompletionTokens != tc.wantTokens || c.Usage.TotalTokens != c.Usage.PromptTokens+tc.wantTokens {
				t.Errorf("usage = %+v, want %d completion tokens", c.Usage, tc.wantTokens)
			}
			if tc.wantTool != "" {
				if ch.Message.Content != nil || len(ch.Message.ToolCalls) != 1 {
					t.Fatalf("message = %s", body)
				}
				tcall := ch.Message.ToolCalls[0]
				if tcall.Function.Name != tc.wantTool || tcall.Type != "function" || !strings.HasPrefix(tcall.ID, "call_") || tcall.Function.Arguments != `{"q":"x"}` {
					t.Errorf("tool call = %+v", tcall)
				}
				return
			}
			if ch.Message.Content == nil || *ch.Message.Content == "" {
				t.Fatalf("no content: %s", body)
			}
			if tc.wantText != "" && *ch.Message.Content != tc.wantText {
				t.Errorf("content = %q, want %q", *ch.Message.Content, tc.wantText)
			}
		})
	}
}

func TestChatDeterministic(t *testing.T) {
	_, ts := newServer(t, simbackend.Options{})
	text := func(user string) string {
		_, body := do(t, "POST", ts.URL+"/v1/chat/completions", chatBody(t, "sim-chat", user, false, nil))
		var c completionBody
		if err := json.Unmarshal(body, &c); err != nil || len(c.Choices) == 0 || c.Choices[0].Message.Content == nil {
			t.Fatalf("bad completion %s", body)
		}
		return *c.Choices[0].Message.Content
	}
	a, b := text("what is a cat"), text("what is a cat")
	if a != b {
		t.Error("same prompt, different answers")
	}
	if a != text("what is a cat [[sim:delay=0s]]") {
		t.Error("directives change the text")
	}
	if a == text("what is a dog") {
		t.Error("different prompts, same answer")
	}
}

func TestChatNonStreamingFailAfter(t *testing.T) {
	_, ts := newServer(t, simbackend.Options{})
	status, body := do(t, "POST", ts.URL+"/v1/chat/completions", chatBody(t, "sim-chat", "x [[sim:fail-after=5]]", false, nil))
	if status != http.StatusInternalServerError || !strings.Contains(string(body), `"sim_fail_after"`) {
		t.Errorf("status %d body %s", status, body)
	}
}

func TestChatDelay(t *testing.T) {
	_, ts := newServer(t, simbackend.Options{})
	start := time.Now()
	status, _ := do(t, "POST", ts.URL+"/v1/chat/completions", chatBody(t, "sim-chat", "x [[sim:delay=10ms]] [[sim:tokens=5]]", false, nil))
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("5 tokens at 10ms took %s", d)
	}
}

// TestChatStopsWhenClientLeaves checks that generation ends with the
// request: a slow stream's handler returns soon after the client cancels.
func TestChatStopsWhenClientLeaves(t *testing.T) {
	done := make(chan struct{})
	sim := simbackend.New(simbackend.Options{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sim.ServeHTTP(w, r)
		close(done)
	}))
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	body := chatBody(t, "sim-chat", "x [[sim:delay=50ms]] [[sim:tokens=1000]]", true, nil)
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/chat/completions", strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	resp.Body.Read(buf)
	cancel()
	resp.Body.Close()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("handler still generating 2s after the client left (1000 tokens at 50ms would take 50s)")
	}
}
