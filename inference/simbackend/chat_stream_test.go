package simbackend_test

import (
	"net/http"
	"strings"
	"testing"

	"confidant/inference/simbackend"
)

func streamChat(t *testing.T, url, body string) ([]string, error) {
	t.Helper()
	resp, err := http.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return sseEvents(resp.Body)
}

func TestChatStream(t *testing.T) {
	_, ts := newServer(t, simbackend.Options{})
	body := chatBody(t, "sim-chat", "say one two three", true, map[string]any{"stream_options": map[string]bool{"include_usage": true}})
	events, err := streamChat(t, ts.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(events); n != 7 || events[n-1] != "[DONE]" {
		t.Fatalf("events = %q", events)
	}
	chunks := decodeChunks(t, events)
	// role, three tokens, finish, usage
	if r := chunks[0].Choices[0].Delta.Role; r == nil || *r != "assistant" {
		t.Errorf("first chunk has no role: %s", events[0])
	}
	var text strings.Builder
	for i, c := range chunks[1:4] {
		d := c.Choices[0].Delta
		if d.Content == nil || c.Choices[0].FinishReason != nil {
			t.Fatalf("chunk %d = %s", i+1, events[i+1])
		}
		text.WriteString(*d.Content)
	}
	if text.String() != "one two three" {
		t.Errorf("text = %q", text.String())
	}
	if f := chunks[4].Choices[0].FinishReason; f == nil || *f != "stop" {
		t.Errorf("finish chunk = %s", events[4])
	}
	if len(chunks[5].Choices) != 0 || chunks[5].Usage == nil || chunks[5].Usage.CompletionTokens != 3 {
		t.Errorf("usage chunk = %s", events[5])
	}
	for i, c := range chunks {
		if c.ID != chunks[0].ID || c.Object != "chat.completion.chunk" {
			t.Errorf("chunk %d id %q object %q", i, c.ID, c.Object)
		}
	}
}

func TestChatStreamNoUsageByDefault(t *testing.T) {
	_, ts := newServer(t, simbackend.Options{DefaultTokens: 4})
	events, err := streamChat(t, ts.URL, chatBody(t, "sim-chat", "hi", true, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1+4+1+1 {
		t.Errorf("got %d events: %q", len(events), events)
	}
}

func TestChatStreamFailAfter(t *testing.T) {
	_, ts := newServer(t, simbackend.Options{})
	tests := []struct {
		name       string
		user       string
		wantTokens int
	}{
		{"mid stream", "talk [[sim:fail-after=5]]", 5},
		{"before any token", "talk [[sim:fail-after=0]]", 0},
		{"after the last token", "say a b [[sim:fail-after=9]]", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			events, err := streamChat(t, ts.URL, chatBody(t, "sim-chat", tc.user, true, nil))
			if err == nil {
				t.Fatal("stream ended cleanly; want a broken connection")
			}
			chunks := decodeChunks(t, events)
			if len(events) != 1+tc.wantTokens {
				t.Errorf("got %d events, want role + %d tokens: %q", len(events), tc.wantTokens, events)
			}
			for _, c := range chunks {
				if c.Choices[0].FinishReason != nil {
					t.Errorf("finish_reason sent before the failure")
				}
			}
		})
	}
}

func TestChatStreamTool(t *testing.T) {
	_, ts := newServer(t, simbackend.Options{})
	user := `find it [[sim:tool=search {"query":"long enough to need several fragments"}]]`
	events, err := streamChat(t, ts.URL, chatBody(t, "sim-chat", user, true, nil))
	if err != nil {
		t.Fatal(err)
	}
	chunks := decodeChunks(t, events)
	var args strings.Builder
	var id, name string
	for i, c := range chunks[1 : len(chunks)-1] {
		calls := c.Choices[0].Delta.ToolCalls
		if len(calls) != 1 || calls[0].Index != 0 {
			t.Fatalf("chunk %d = %s", i+1, events[i+1])
		}
		if i == 0 {
			id, name = calls[0].ID, calls[0].Function.Name
		} else if calls[0].ID != "" {
			t.Errorf("id repeated in chunk %d", i+1)
		}
		args.WriteString(calls[0].Function.Arguments)
	}
	if len(chunks) < 4 {
		t.Errorf("arguments came in %d chunks; want several", len(chunks)-2)
	}
	if !strings.HasPrefix(id, "call_") || name != "search" || args.String() != `{"query":"long enough to need several fragments"}` {
		t.Errorf("id %q name %q args %q", id, name, args.String())
	}
	if f := chunks[len(chunks)-1].Choices[0].FinishReason; f == nil || *f != "tool_calls" {
		t.Errorf("finish = %v", f)
	}
	again, _ := streamChat(t, ts.URL, chatBody(t, "sim-chat", user, true, nil))
	if decodeChunks(t, again)[1].Choices[0].Delta.ToolCalls[0].ID != id {
		t.Error("call id is not deterministic")
	}
}
