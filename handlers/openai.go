package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"confidant/attestation"
	"confidant/chat"
	"confidant/internal/jsonstr"
	"confidant/store"
)

// ListModels answers GET /v1/models in OpenAI's shape.
func (h *API) ListModels(c echo.Context) error {
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		OwnedBy string `json:"owned_by"`
	}
	out := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list", Data: []model{}}
	for _, id := range h.Models.ModelIDs(c.Request().Context()) {
		out.Data = append(out.Data, model{ID: id, Object: "model", OwnedBy: "confidant"})
	}
	return c.JSON(http.StatusOK, out)
}

// completionRequest is the part of an OpenAI chat completion request we
// honour.
type completionRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Stream bool `json:"stream"`
}

// text flattens a message content: a string, or an array of parts of
// which the text parts count.
func contentText(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", err
	}
	var sb strings.Builder
	for _, p := range parts {
		if p.Type == "text" {
			sb.WriteString(p.Text)
		}
	}
	return sb.String(), nil
}

var errBadCompletion = echo.NewHTTPError(http.StatusBadRequest, "The request needs a model and messages, the last one from the user, each with text content.")

// ChatCompletions answers POST /v1/chat/completions, streaming or not. The
// chat is stored like any other and the answer comes from the same
// generation, so closing the connection does not lose it.
func (h *API) ChatCompletions(c echo.Context) error {
	body, err := readBody(c, 4<<20)
	if err != nil {
		return err
	}
	var req completionRequest
	if err := json.Unmarshal(body, &req); err != nil || len(req.Messages) == 0 {
		return errBadCompletion
	}
	if req.Model != "" && !slices.Contains(h.Models.ModelIDs(c.Request().Context()), req.Model) {
		// The name is not repeated: request text stays out of the log.
		return echo.NewHTTPError(http.StatusNotFound, "That model does not exist. GET /v1/models lists the models on offer.")
	}
	prompt := make([]chat.Prompt, 0, len(req.Messages))
	for _, m := range req.Messages {
		text, err := contentText(m.Content)
		if err != nil {
			return errBadCompletion
		}
		prompt = append(prompt, chat.Prompt{Role: m.Role, Content: text})
	}
	user := apiUser(c)
	sent, err := h.Chat.SendPrompt(c.Request().Context(), user.ID, req.Model, prompt)
	if errors.Is(err, chat.ErrBadPrompt) || errors.Is(err, chat.ErrEmptyMessage) {
		return errBadCompletion
	}
	if err != nil {
		return err
	}
	id := completionIDPrefix + sent.Assistant.ID.String()
	signed := attestation.NewResponseHasher(body)
	created := h.now().Unix()
	model := sent.Conversation.Model
	if req.Stream {
		return h.streamCompletion(c, sent, signed, id, created, model)
	}
	var final chat.Snapshot
	if err := h.Chat.Follow(c.Request().Context(), user.ID, sent.Assistant.ID, func(s chat.Snapshot) error { final = s; return nil }); err != nil {
		return err
	}
	if final.Status == store.StatusFailed && final.ErrorCode == chat.CodeBackendUnverified {
		return chat.ErrBackendUnverified
	}
	if final.Status == store.StatusFailed {
		return echo.NewHTTPError(http.StatusBadGateway, "The model could not answer. Try again.")
	}
	resp, err := json.Marshal(map[string]any{
		"id": id, "object": "chat.completion", "created": created, "model": model,
		"choices": []any{map[string]any{"index": 0, "finish_reason": finishReason(final.Status),
			"message": map[string]any{"role": "assistant", "content": final.Content}}},
	})
	if err != nil {
		return err
	}
	signed.Write(resp)
	h.recordSignature(c, sent, signed)
	return c.JSONBlob(http.StatusOK, resp)
}

// recordSignature keeps what GET /v1/signature/{id} signs for this
// response. A failure costs the signature, not the answer: it is logged.
func (h *API) recordSignature(c echo.Context, sent chat.Sent, signed *attestation.ResponseHasher) {
	if h.Signatures == nil {
		return
	}
	// The response is complete; a client that leaves now must not cost
	// the record.
	ctx := context.WithoutCancel(c.Request().Context())
	if err := h.Signatures.Record(ctx, sent.Conversation.UserID, sent.Assistant.ID, signed.Text()); err != nil {
		h.Log.Error("response signature not recorded", "err", err,
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	}
}

func (h *API) streamCompletion(c echo.Context, sent chat.Sent, signed *attestation.ResponseHasher, id string, created int64, model string) error {
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ch := newChunker(id, created, model)
	send := func(payload []byte) error {
		signed.Write(payload)
		if _, err := w.Write(ch.frame(payload)); err != nil {
			return err
		}
		w.Flush()
		return nil
	}
	if err := send(ch.role()); err != nil {
		return nil // the client went away; the answer still completes and is stored
	}
	sentLen := 0
	var last chat.Snapshot
	err := h.Chat.Follow(c.Request().Context(), sent.Conversation.UserID, sent.Assistant.ID, func(s chat.Snapshot) error {
		last = s
		if len(s.Content) > sentLen {
			if err := send(ch.content(s.Content[sentLen:])); err != nil {
				return err
			}
			sentLen = len(s.Content)
		}
		return nil
	})
	if err != nil {
		return nil // client gone
	}
	if last.Status == store.StatusFailed || last.Status == store.StatusInterrupted {
		code := "backend_failed"
		if last.ErrorCode == chat.CodeBackendUnverified {
			code = chat.CodeBackendUnverified
		}
		b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": StatusNotice(last.Status, last.ErrorCode)}})
		signed.Write(b)
		fmt.Fprintf(w, "data: %s\n\n", b)
		w.Flush()
		h.recordSignature(c, sent, signed)
		return nil
	}
	if err := send(ch.finish(finishReason(last.Status))); err != nil {
		return nil
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	w.Flush()
	h.recordSignature(c, sent, signed)
	return nil
}

// completionIDPrefix starts the id of every chat completion; the rest is
// the id of the answer's message.
const completionIDPrefix = "chatcmpl-"

// chunker makes the chunks of one streamed completion: the part every
// chunk shares is encoded once, and each token costs one append into a
// reused buffer rather than a map and a reflective encode. A chunk (and a
// frame) is valid until the next one is made.
type chunker struct {
	head  []byte // {"id":…,"object":…,"created":…,"model":…,"choices":[{"index":0,"delta":
	buf   []byte
	event []byte
}

// frame returns payload as one SSE event.
func (c *chunker) frame(payload []byte) []byte {
	c.event = append(append(append(c.event[:0], "data: "...), payload...), "\n\n"...)
	return c.event
}

func newChunker(id string, created int64, model string) *chunker {
	head, _ := json.Marshal(struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		Model   string `json:"model"`
	}{id, "chat.completion.chunk", created, model})
	h := append(head[:len(head)-1:len(head)-1], `,"choices":[{"index":0,"delta":`...) // into its closing brace
	return &chunker{head: h}
}

// chunk returns the chunk with delta, a JSON object, and finish, a finish
// reason or "" for none yet.
func (c *chunker) chunk(delta, finish string) []byte {
	c.buf = append(append(c.buf[:0], c.head...), delta...)
	return c.end(finish)
}

func (c *chunker) end(finish string) []byte {
	if finish == "" {
		c.buf = append(c.buf, `,"finish_reason":null}]}`...)
	} else {
		c.buf = append(c.buf, `,"finish_reason":`...)
		c.buf = jsonstr.Append(c.buf, finish)
		c.buf = append(c.buf, `}]}`...)
	}
	return c.buf
}

func (c *chunker) role() []byte { return c.chunk(`{"role":"assistant","content":""}`, "") }

func (c *chunker) content(text string) []byte {
	c.buf = append(append(c.buf[:0], c.head...), `{"content":`...)
	c.buf = append(jsonstr.Append(c.buf, text), '}')
	return c.end("")
}

func (c *chunker) finish(reason string) []byte { return c.chunk(`{}`, reason) }

func finishReason(status string) string {
	if status == store.StatusComplete {
		return "stop"
	}
	return "length"
}

func (h *API) now() time.Time {
	if h.Now == nil {
		return time.Now()
	}
	return h.Now()
}
