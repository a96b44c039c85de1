package inference

import (
	openai "github.com/sashabaranov/go-openai"

	"confidant/inference/signing"
)

// Message is one chat message (go-openai's type).
type Message = openai.ChatCompletionMessage

// Roles of chat messages.
const (
	RoleSystem    = openai.ChatMessageRoleSystem
	RoleUser      = openai.ChatMessageRoleUser
	RoleAssistant = openai.ChatMessageRoleAssistant
	RoleTool      = openai.ChatMessageRoleTool
)

// ChatRequest is a chat completion request. Zero fields are left out of
// the request body, so the backend's defaults apply (go-openai cannot send
// a temperature of exactly 0).
type ChatRequest struct {
	Model       string
	Messages    []Message
	MaxTokens   int
	Temperature float32
	Tools       []openai.Tool
	ToolChoice  any // "auto", "none", "required" or an openai.ToolChoice
}

// Delta is one piece of a streamed answer.
type Delta struct {
	Content   string
	Reasoning string            // reasoning_content, for reasoning models
	ToolCalls []openai.ToolCall // fragments; Index says which call
}

// empty reports whether d carries nothing for the caller.
func (d Delta) empty() bool {
	return d.Content == "" && d.Reasoning == "" && len(d.ToolCalls) == 0
}

// Usage counts tokens as the backend reported them.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
	TotalTokens      int
}

// Result is a finished (or, next to an error, partial) chat completion.
type Result struct {
	ID           string // completion id, for /v1/signature/{id}
	Model        string
	Content      string
	Reasoning    string
	ToolCalls    []openai.ToolCall // merged from stream fragments
	FinishReason string            // stop, length, tool_calls…; empty if the stream broke
	Usage        Usage
	BaseURL      string // the backend that answered
	Attempts     int    // tries it took, counting failed ones
	// RequestBody is the exact request body sent.
	RequestBody []byte
	// ResponseBytes are the exact response body, or for a stream every
	// SSE data payload except [DONE], concatenated.
	ResponseBytes []byte
}

// SignedText returns the text the backend should have signed for r.
func (r Result) SignedText() string {
	return signing.SignedText(r.RequestBody, r.ResponseBytes)
}

// Model is a model a backend serves.
type Model struct {
	ID            string
	OwnedBy       string
	ContextWindow int // max_model_len when the backend reports it, else 0
}
