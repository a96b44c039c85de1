package inference

import (
	"encoding/json"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

// chatBody writes exactly the bytes json.Marshal writes for go-openai's
// request, whether the plain encoder takes the request or not.
func TestChatBodyMatchesMarshal(t *testing.T) {
	tricky := "quote \" backslash \\ <b>&amp;</b> \u2028 \u2029 tab\t nl\n nul\x00 bad\xff é 日本 🎉"
	text := func(role, content string) Message { return Message{Role: role, Content: content} }
	idx := 0
	tests := []struct {
		name  string
		req   ChatRequest
		plain bool
	}{
		{"one user message", ChatRequest{Model: "sim-chat", Messages: []Message{text(RoleUser, "hello")}}, true},
		{"conversation", ChatRequest{Model: "m", Messages: []Message{text(RoleSystem, "be brief"), text(RoleUser, "hi"), text(RoleAssistant, "hello"), text(RoleUser, tricky)}}, true},
		{"empty content omitted", ChatRequest{Model: "m", Messages: []Message{text(RoleAssistant, ""), text(RoleUser, "x")}}, true},
		{"max tokens", ChatRequest{Model: "m", MaxTokens: 256, Messages: []Message{text(RoleUser, "x")}}, true},
		{"negative max tokens", ChatRequest{Model: "m", MaxTokens: -1, Messages: []Message{text(RoleUser, "x")}}, true},
		{"tricky model name", ChatRequest{Model: tricky, Messages: []Message{text(RoleUser, "x")}}, true},
		{"every string field", ChatRequest{Model: "m", Messages: []Message{{Role: RoleTool, Content: "result", Name: "n<", Refusal: "no&", ReasoningContent: "why>", ToolCallID: "call_1"}}}, true},
		{"empty multi content", ChatRequest{Model: "m", Messages: []Message{{Role: RoleUser, MultiContent: []openai.ChatMessagePart{}}}}, false},
		{"multi content", ChatRequest{Model: "m", Messages: []Message{{Role: RoleUser, MultiContent: []openai.ChatMessagePart{{Type: openai.ChatMessagePartTypeText, Text: "a"}}}}}, false},
		{"tool calls", ChatRequest{Model: "m", Messages: []Message{{Role: RoleAssistant, ToolCalls: []openai.ToolCall{{Index: &idx, ID: "c", Type: openai.ToolTypeFunction, Function: openai.FunctionCall{Name: "f", Arguments: "{}"}}}}}}, false},
		{"empty tool calls", ChatRequest{Model: "m", Messages: []Message{{Role: RoleAssistant, Content: "x", ToolCalls: []openai.ToolCall{}}}}, false},
		{"function call", ChatRequest{Model: "m", Messages: []Message{{Role: RoleAssistant, FunctionCall: &openai.FunctionCall{Name: "f"}}}}, false},
		{"temperature", ChatRequest{Model: "m", Temperature: 0.7, Messages: []Message{text(RoleUser, "x")}}, false},
		{"tools", ChatRequest{Model: "m", Messages: []Message{text(RoleUser, "x")}, Tools: []openai.Tool{{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{Name: "f"}}}, ToolChoice: "auto"}, false},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				if _, plain := plainChatBody(tt.req, stream); plain != tt.plain {
					t.Fatalf("plain encoder took it = %v, want %v", plain, tt.plain)
				}
				got, err := chatBody(tt.req, stream)
				if err != nil {
					t.Fatal(err)
				}
				wire := openai.ChatCompletionRequest{Model: tt.req.Model, Messages: tt.req.Messages, MaxTokens: tt.req.MaxTokens,
					Temperature: tt.req.Temperature, Tools: tt.req.Tools, ToolChoice: tt.req.ToolChoice, Stream: stream}
				if stream {
					wire.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
				}
				want, err := json.Marshal(wire)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != string(want) {
					t.Fatalf("body\n%s\nwant\n%s", got, want)
				}
			})
		}
	}
}

func BenchmarkChatBody(b *testing.B) {
	req := ChatRequest{Model: "sim-chat"}
	for i := range 20 {
		req.Messages = append(req.Messages, Message{Role: []string{RoleUser, RoleAssistant}[i%2], Content: "A message of a few words, with \"quotes\" and a line\nbreak, as chats have."})
	}
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			plainChatBody(req, true)
		}
	})
	b.Run("marshal", func(b *testing.B) {
		wire := openai.ChatCompletionRequest{Model: req.Model, Messages: req.Messages, Stream: true, StreamOptions: &openai.StreamOptions{IncludeUsage: true}}
		for b.Loop() {
			_, _ = json.Marshal(wire)
		}
	})
}
