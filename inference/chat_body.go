package inference

import (
	"encoding/json"
	"fmt"
	"strconv"

	openai "github.com/sashabaranov/go-openai"

	"confidant/internal/jsonstr"
)

// chatBody encodes req as the request body, asking streams for a usage
// chunk. The bytes are kept: the backend signs a hash of exactly them.
func chatBody(req ChatRequest, stream bool) ([]byte, error) {
	if req.Model == "" || len(req.Messages) == 0 {
		return nil, fmt.Errorf("%w: a chat request needs a model and messages", ErrConfig)
	}
	if body, ok := plainChatBody(req, stream); ok {
		return body, nil
	}
	wire := openai.ChatCompletionRequest{
		Model:       req.Model,
		Messages:    req.Messages,
		MaxTokens:   req.MaxTokens,
		Temperature: req.Temperature,
		Tools:       req.Tools,
		ToolChoice:  req.ToolChoice,
		Stream:      stream,
	}
	if stream {
		wire.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	body, err := json.Marshal(wire)
	if err != nil {
		return nil, fmt.Errorf("inference: encode chat request: %w", err)
	}
	return body, nil
}

// plainChatBody encodes the common request — text messages, no tools, the
// backend's temperature — byte for byte as chatBody's json.Marshal of
// go-openai's request would, without reflection and without encoding each
// message twice (go-openai marshals a message itself, then encoding/json
// compacts the result). It reports false for any other request.
func plainChatBody(req ChatRequest, stream bool) ([]byte, bool) {
	if req.Temperature != 0 || len(req.Tools) > 0 || req.ToolChoice != nil {
		return nil, false
	}
	size := 128 + len(req.Model)
	for _, m := range req.Messages {
		size += 64 + len(m.Role) + len(m.Content) + len(m.Name) + len(m.Refusal) + len(m.ReasoningContent) + len(m.ToolCallID)
	}
	b := make([]byte, 0, size)
	b = append(b, `{"model":`...)
	b = jsonstr.Append(b, req.Model)
	b = append(b, `,"messages":[`...)
	for i, m := range req.Messages {
		if m.MultiContent != nil || m.FunctionCall != nil || m.ToolCalls != nil {
			return nil, false
		}
		if i > 0 {
			b = append(b, ',')
		}
		// go-openai's field order; all but the role omitted when empty.
		b = append(b, `{"role":`...)
		b = jsonstr.Append(b, m.Role)
		for _, f := range [...]struct{ name, value string }{
			{`,"content":`, m.Content},
			{`,"refusal":`, m.Refusal},
			{`,"name":`, m.Name},
			{`,"reasoning_content":`, m.ReasoningContent},
			{`,"tool_call_id":`, m.ToolCallID},
		} {
			if f.value != "" {
				b = jsonstr.Append(append(b, f.name...), f.value)
			}
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	if req.MaxTokens != 0 {
		b = strconv.AppendInt(append(b, `,"max_tokens":`...), int64(req.MaxTokens), 10)
	}
	b = strconv.AppendBool(append(b, `,"stream":`...), stream)
	if stream {
		b = append(b, `,"stream_options":{"include_usage":true}`...)
	}
	return append(b, '}'), true
}
