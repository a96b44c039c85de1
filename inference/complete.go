package inference

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	openai "github.com/sashabaranov/go-openai"
)

// Complete sends req as a non-streaming chat completion, retrying
// connection errors and 5xx answers on the next URL.
func (c *Client) Complete(ctx context.Context, req ChatRequest) (Result, error) {
	return c.completeAmong(ctx, nil, req)
}

// completeAmong is Complete restricted to the backends at indexes only
// (nil: every one).
func (c *Client) completeAmong(ctx context.Context, only []int, req ChatRequest) (Result, error) {
	body, err := chatBody(req, false)
	if err != nil {
		return Result{}, err
	}
	var res Result
	attempts, err := c.eachOf(ctx, only, func(i int) error {
		actx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
		defer cancel()
		data, err := c.call(actx, http.MethodPost, c.urls[i], "/v1/chat/completions", body)
		if err != nil {
			return err
		}
		res, err = decodeCompletion(data)
		res.BaseURL, res.RequestBody = c.urls[i], body
		return err
	})
	res.Attempts = attempts
	return res, err
}

// decodeCompletion turns a chat.completion body into a Result that keeps
// the body as its response bytes.
func decodeCompletion(data []byte) (Result, error) {
	var cc openai.ChatCompletionResponse
	if err := json.Unmarshal(data, &cc); err != nil {
		return Result{}, fmt.Errorf("%w: chat completion is not JSON", ErrProtocol)
	}
	if cc.ID == "" || len(cc.Choices) == 0 {
		return Result{}, fmt.Errorf("%w: chat completion without id or choices", ErrProtocol)
	}
	ch := cc.Choices[0]
	return Result{
		ID:            cc.ID,
		Model:         cc.Model,
		Content:       ch.Message.Content,
		Reasoning:     ch.Message.ReasoningContent,
		ToolCalls:     ch.Message.ToolCalls,
		FinishReason:  string(ch.FinishReason),
		Usage:         Usage{PromptTokens: cc.Usage.PromptTokens, CompletionTokens: cc.Usage.CompletionTokens, TotalTokens: cc.Usage.TotalTokens},
		ResponseBytes: data,
	}, nil
}
