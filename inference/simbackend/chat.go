package simbackend

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// plan is what one chat request will produce.
type plan struct {
	id        string
	model     string
	created   int64
	tokens    []string // content tokens, or argument fragments of a tool call
	tool      *toolDirective
	callID    string
	delay     time.Duration
	failAfter int // tokens before failing; -1 never
	finish    string
	prompt    int
	usage     bool
}

// handleChat serves POST /v1/chat/completions.
func (s *Server) handleChat(w http.ResponseWriter, r *http.Request, _ string) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_json", "request body is not valid JSON")
		return
	}
	m, ok := s.model(w, req.Model, KindChat)
	if !ok {
		return
	}
	p, err := s.plan(req, m)
	if err != nil {
		code := "invalid_request_error"
		if errors.Is(err, errContextLength) {
			code = "context_length_exceeded"
		}
		writeError(w, http.StatusBadRequest, "invalid_request_error", code, err.Error())
		return
	}
	if req.Stream {
		s.stream(w, r, body, p)
		return
	}
	s.complete(w, r, body, p)
}

var errContextLength = errors.New("context length exceeded")

// plan decides the answer to req from its last user message.
func (s *Server) plan(req chatRequest, m Model) (plan, error) {
	if len(req.Messages) == 0 {
		return plan{}, errors.New("messages must not be empty")
	}
	p := plan{
		id:        newCompletionID(),
		model:     m.ID,
		created:   s.opts.Now().Unix(),
		delay:     s.opts.TokenDelay,
		failAfter: -1,
		finish:    "stop",
		usage:     req.StreamOptions != nil && req.StreamOptions.IncludeUsage,
	}
	last := ""
	for _, msg := range req.Messages {
		text, err := msg.text()
		if err != nil {
			return plan{}, err
		}
		p.prompt += (len(text) + 3) / 4
		if msg.Role == "user" {
			last = text
		}
	}
	limit := -1
	for _, v := range []*int{req.MaxTokens, req.MaxCompletionTokens} {
		if v != nil && *v >= 0 && (limit < 0 || *v < limit) {
			limit = *v
		}
	}
	if w := m.MaxModelLen; w > 0 && p.prompt+max(limit, 0) > w {
		return plan{}, fmt.Errorf("%w: this model's maximum context length is %d tokens, but the request needs %d",
			errContextLength, w, p.prompt+max(limit, 0))
	}
	prompt, d, err := parseDirectives(last)
	if err != nil {
		return plan{}, err
	}
	if d.delay != nil {
		p.delay = *d.delay
	}
	if d.failAfter != nil {
		p.failAfter = *d.failAfter
	}
	results, afterTools, err := trailingToolResults(req.Messages)
	if err != nil {
		return plan{}, err
	}
	if afterTools { // answer from the results; the user's tool directive was served
		p.tokens = splitTokens(toolAnswer(results))
		if limit >= 0 && limit < len(p.tokens) {
			p.tokens, p.finish = p.tokens[:limit], "length"
		}
		return p, nil
	}
	if d.tool != nil {
		p.tool = d.tool
		p.tokens = fragments(d.tool.args, 8)
		p.finish = "tool_calls"
		sum := sha256.Sum256([]byte(d.tool.name + "\x00" + d.tool.args + "\x00" + prompt))
		p.callID = "call_" + hex.EncodeToString(sum[:12])
		return p, nil
	}
	if x, ok := echoOf(prompt); ok {
		p.tokens = splitTokens(x)
	} else {
		n := s.opts.DefaultTokens
		if d.tokens != nil {
			n = *d.tokens
		}
		p.tokens = generate(prompt, n)
	}
	if limit >= 0 && limit < len(p.tokens) {
		p.tokens, p.finish = p.tokens[:limit], "length"
	}
	return p, nil
}

// complete answers without streaming, after the time generation would take.
func (s *Server) complete(w http.ResponseWriter, r *http.Request, reqBody []byte, p plan) {
	n := len(p.tokens)
	if p.failAfter >= 0 {
		n = min(n, p.failAfter)
	}
	if sleep(r.Context(), time.Duration(n)*p.delay) != nil {
		return
	}
	if p.failAfter >= 0 {
		writeError(w, http.StatusInternalServerError, "server_error", "sim_fail_after",
			fmt.Sprintf("simulated failure after %d tokens", n))
		return
	}
	msg := &message{Role: "assistant"}
	if p.tool != nil {
		msg.ToolCalls = []toolCall{{ID: p.callID, Type: "function",
			Function: toolFunction{Name: p.tool.name, Arguments: p.tool.args}}}
	} else {
		text := strings.Join(p.tokens, "")
		msg.Content = &text
	}
	body, err := json.Marshal(completion{
		ID: p.id, Object: "chat.completion", Created: p.created, Model: p.model,
		Choices: []choice{{Message: msg, FinishReason: &p.finish}},
		Usage:   &usage{PromptTokens: p.prompt, CompletionTokens: len(p.tokens), TotalTokens: p.prompt + len(p.tokens)},
	})
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", "internal", "encoding failed")
		return
	}
	s.sigs.put(p.id, reqBody, body)
	writeBody(w, http.StatusOK, body)
}

// readBody reads the request body, answering 400 or 413 on failure.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large", "request body is too large")
		} else {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_body", "could not read the request body")
		}
		return nil, false
	}
	return body, true
}

// sleep waits d or until ctx ends, and reports ctx's error.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// fragments cuts s into pieces of about n bytes on rune boundaries.
func fragments(s string, n int) []string {
	var out []string
	for len(s) > 0 {
		end := min(n, len(s))
		for end < len(s) && !utf8.RuneStart(s[end]) {
			end++
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}

// newCompletionID returns a fresh "chatcmpl-" id.
func newCompletionID() string {
	var b [16]byte
	rand.Read(b[:])
	return "chatcmpl-" + hex.EncodeToString(b[:])
}
