package simbackend

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// stream answers with server-sent events, one token per event, flushing
// after each. The signed response bytes are the data payloads, without
// "data: " and without [DONE], concatenated.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, reqBody []byte, p plan) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	var signed bytes.Buffer
	send := func(c completion) bool {
		payload, err := json.Marshal(c)
		if err != nil {
			return false
		}
		signed.Write(payload)
		return writeEvent(w, rc, payload)
	}
	chunk := func(d *delta, finish *string) completion {
		return completion{ID: p.id, Object: "chat.completion.chunk", Created: p.created, Model: p.model,
			Choices: []choice{{Delta: d, FinishReason: finish}}}
	}

	first := &delta{Role: "assistant"}
	if p.tool == nil {
		first.Content = new(string)
	}
	if !send(chunk(first, nil)) {
		return
	}
	ctx := r.Context()
	for i, tok := range p.tokens {
		if i == p.failAfter {
			abort(rc)
			return
		}
		if sleep(ctx, p.delay) != nil || !send(chunk(s.tokenDelta(p, i, tok), nil)) {
			return
		}
	}
	if p.failAfter >= 0 {
		abort(rc)
		return
	}
	if !send(chunk(&delta{}, &p.finish)) {
		return
	}
	if p.usage {
		u := &usage{PromptTokens: p.prompt, CompletionTokens: len(p.tokens), TotalTokens: p.prompt + len(p.tokens)}
		c := completion{ID: p.id, Object: "chat.completion.chunk", Created: p.created, Model: p.model,
			Choices: []choice{}, Usage: u}
		if !send(c) {
			return
		}
	}
	s.sigs.put(p.id, reqBody, signed.Bytes())
	writeEvent(w, rc, []byte("[DONE]"))
}

// tokenDelta is the delta for token i: content, or for a tool call the
// call's header with the first argument fragment, then more fragments.
func (s *Server) tokenDelta(p plan, i int, tok string) *delta {
	if p.tool == nil {
		return &delta{Content: &tok}
	}
	idx := 0
	tc := toolCall{Index: &idx, Function: toolFunction{Arguments: tok}}
	if i == 0 {
		tc.ID, tc.Type, tc.Function.Name = p.callID, "function", p.tool.name
	}
	return &delta{ToolCalls: []toolCall{tc}}
}

// writeEvent writes one "data:" event and flushes it, reporting success.
func writeEvent(w http.ResponseWriter, rc *http.ResponseController, payload []byte) bool {
	buf := make([]byte, 0, len(payload)+8)
	buf = append(buf, "data: "...)
	buf = append(buf, payload...)
	buf = append(buf, "\n\n"...)
	if _, err := w.Write(buf); err != nil {
		return false
	}
	return rc.Flush() == nil
}

// abort drops the connection mid-response, as a crashed backend would:
// no finish_reason, no [DONE], no end of the chunked body.
func abort(rc *http.ResponseController) {
	if conn, _, err := rc.Hijack(); err == nil {
		conn.Close()
		return
	}
	// HTTP/2 and wrapped writers cannot hijack; this aborts the stream.
	panic(http.ErrAbortHandler)
}
