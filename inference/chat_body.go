package inference

import (
	"encoding/json"
	"fmt"

	openai "github.com/sashabaranov/go-openai"
)

// chatBody encodes req as the request body, asking streams for a usage
// chunk. The bytes are kept: the backend signs a hash of exactly them.
func chatBody(req ChatRequest, stream bool) ([]byte, error) {
	if req.Model == "" || len(req.Messages) == 0 {
		return nil, fmt.Errorf("%w: a chat request needs a model and messages", ErrConfig)
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
