package inference

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	openai "github.com/sashabaranov/go-openai"
)

// Stream sends req as a streaming chat completion and calls onDelta for
// each piece of the answer, in order. It retries only until the first
// delta has been delivered; after that a failure returns an
// *InterruptedError with the partial text. An error from onDelta stops
// the stream and is returned as is. The Result, complete or partial, is
// returned with any error.
func (c *Client) Stream(ctx context.Context, req ChatRequest, onDelta func(Delta) error) (Result, error) {
	return c.streamAmong(ctx, nil, req, onDelta)
}

// streamAmong is Stream restricted to the backends at indexes only (nil:
// all of them).
func (c *Client) streamAmong(ctx context.Context, only []int, req ChatRequest, onDelta func(Delta) error) (Result, error) {
	body, err := chatBody(req, true)
	if err != nil {
		return Result{}, err
	}
	var res Result
	attempts, err := c.eachOf(ctx, only, func(i int) error {
		res = Result{BaseURL: c.urls[i], RequestBody: body}
		delivered, err := c.streamOnce(ctx, c.urls[i], body, onDelta, &res)
		if err != nil && delivered && ctx.Err() == nil && !isCallback(err) {
			return &InterruptedError{Partial: res.Content, Err: err}
		}
		return err
	})
	res.Attempts = attempts
	var cb *callbackError
	if errors.As(err, &cb) {
		return res, cb.err
	}
	return res, err
}

func isCallback(err error) bool {
	var cb *callbackError
	return errors.As(err, &cb)
}

// streamOnce makes one try. It reports whether any delta reached onDelta.
func (c *Client) streamOnce(ctx context.Context, base string, body []byte, onDelta func(Delta) error, res *Result) (delivered bool, err error) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	idle := time.AfterFunc(c.cfg.StreamIdleTimeout, func() { cancel(ErrStalled) })
	defer idle.Stop()
	fail := func(err error) error {
		if errors.Is(context.Cause(actx), ErrStalled) {
			return fmt.Errorf("inference: stream from %s: %w", base, ErrStalled)
		}
		return fmt.Errorf("inference: stream from %s: %w", base, err)
	}

	req, err := c.request(actx, http.MethodPost, base, "/v1/chat/completions", body)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.hc.Do(req)
	if err != nil {
		return false, fail(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return false, parseError(resp.StatusCode, data)
	}
	acc := accumulator{res: res, calls: map[int]int{}}
	events := newSSEReader(resp.Body)
	for {
		data, err := events.next()
		idle.Reset(c.cfg.StreamIdleTimeout)
		switch {
		case err == io.EOF && res.FinishReason != "":
			return delivered, nil // no [DONE], but the answer was complete
		case err == io.EOF:
			return delivered, fail(io.ErrUnexpectedEOF)
		case err != nil:
			return delivered, fail(err)
		case string(data) == "[DONE]":
			return delivered, nil
		}
		res.ResponseBytes = append(res.ResponseBytes, data...)
		d, err := acc.add(data)
		if err != nil {
			return delivered, err
		}
		if d.empty() {
			continue
		}
		delivered = true
		if err := onDelta(d); err != nil {
			return true, &callbackError{err}
		}
	}
}

// accumulator folds stream chunks into a Result.
type accumulator struct {
	res       *Result
	calls     map[int]int // tool call index → position in res.ToolCalls
	content   strings.Builder
	reasoning strings.Builder
	scanner   chunkScanner
	fast      fastChunk
}

// streamChunk is the part of a chat.completion.chunk (or of an error event)
// the client reads, decoded in one pass.
//
// Chunks come by the thousand per second under load, so they are decoded
// with the faster JSON v2 implementation (encoding/json/v2 to be), as
// leniently as encoding/json: names in any case, invalid UTF-8 and
// duplicate names are accepted.
type streamChunk struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Content          string            `json:"content"`
			ReasoningContent string            `json:"reasoning_content"`
			ToolCalls        []openai.ToolCall `json:"tool_calls"`
		} `json:"delta"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *openai.Usage   `json:"usage"`
	Error json.RawMessage `json:"error"`
}

// add decodes one chunk payload and returns what it adds to the answer.
// A chunk of the common shape is read by the scanner; any other by the
// full decoder, with the same result.
func (a *accumulator) add(data []byte) (Delta, error) {
	if a.scanner.scan(data, &a.fast) {
		return a.addFast(&a.fast), nil
	}
	return a.addFull(data)
}

// addFull is add by the full decoder.
func (a *accumulator) addFull(data []byte) (Delta, error) {
	var chunk streamChunk
	if err := jsonv2.Unmarshal(data, &chunk, chunkDecoding); err != nil {
		// An error event need not have a chunk's shape.
		var errBody struct {
			Error json.RawMessage `json:"error"`
		}
		if json.Unmarshal(data, &errBody) == nil && isError(errBody.Error) {
			return Delta{}, parseError(0, data)
		}
		return Delta{}, fmt.Errorf("%w: stream chunk is not JSON", ErrProtocol)
	}
	if isError(chunk.Error) {
		return Delta{}, parseError(0, data)
	}
	r := a.res
	if r.ID == "" {
		r.ID = chunk.ID
	}
	if r.Model == "" {
		r.Model = chunk.Model
	}
	if u := chunk.Usage; u != nil {
		r.Usage = Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	}
	var d Delta
	for _, ch := range chunk.Choices {
		if ch.Index != 0 {
			continue // only one choice is ever asked for
		}
		d.Content += ch.Delta.Content
		d.Reasoning += ch.Delta.ReasoningContent
		d.ToolCalls = append(d.ToolCalls, ch.Delta.ToolCalls...)
		if ch.FinishReason != "" && ch.FinishReason != string(openai.FinishReasonNull) {
			r.FinishReason = ch.FinishReason
		}
	}
	a.fold(d)
	return d, nil
}

// addFast is add for a chunk the scanner read: what the full decoder and
// add would make of it.
func (a *accumulator) addFast(c *fastChunk) Delta {
	r := a.res
	if r.ID == "" {
		r.ID = string(c.id)
	}
	if r.Model == "" {
		r.Model = string(c.model)
	}
	if c.hasUsage {
		r.Usage = c.usage
	}
	var d Delta
	if c.hasChoice && c.index == 0 {
		d.Content = string(c.content)
		d.Reasoning = string(c.reasoning)
		if len(c.finish) > 0 && string(c.finish) != string(openai.FinishReasonNull) {
			r.FinishReason = string(c.finish)
		}
	}
	a.fold(d)
	return d
}

// fold adds a delta to the result.
func (a *accumulator) fold(d Delta) {
	r := a.res
	// Builders, not +=, so a long answer costs linear time.
	if d.Content != "" {
		a.content.WriteString(d.Content)
		r.Content = a.content.String()
	}
	if d.Reasoning != "" {
		a.reasoning.WriteString(d.Reasoning)
		r.Reasoning = a.reasoning.String()
	}
	for _, tc := range d.ToolCalls {
		a.mergeCall(tc)
	}
}

var chunkDecoding = jsonv2.JoinOptions(jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true), jsonv2.MatchCaseInsensitiveNames(true))

func isError(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

// mergeCall adds a tool call fragment to the call with the same index.
func (a *accumulator) mergeCall(tc openai.ToolCall) {
	idx := 0
	if tc.Index != nil {
		idx = *tc.Index
	}
	pos, ok := a.calls[idx]
	if !ok {
		pos = len(a.res.ToolCalls)
		a.calls[idx] = pos
		a.res.ToolCalls = append(a.res.ToolCalls, openai.ToolCall{Type: openai.ToolTypeFunction})
	}
	call := &a.res.ToolCalls[pos]
	if tc.ID != "" {
		call.ID = tc.ID
	}
	if tc.Type != "" {
		call.Type = tc.Type
	}
	if tc.Function.Name != "" {
		call.Function.Name = tc.Function.Name
	}
	call.Function.Arguments += tc.Function.Arguments
}
