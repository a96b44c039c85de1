package handlers

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// The chunker's chunks, framed as SSE events, decode to what encoding a
// map of the chunk gives.
func TestChunkerEvents(t *testing.T) {
	ch := newChunker("chatcmpl-1", 1700000000, `model "x" <b>`)
	want := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000.0, "model": `model "x" <b>`,
			"choices": []any{map[string]any{"index": 0.0, "delta": delta, "finish_reason": finish}}}
	}
	tests := []struct {
		name  string
		chunk func() []byte // a chunk is valid until the next one is made
		want  map[string]any
	}{
		{"role", ch.role, want(map[string]any{"role": "assistant", "content": ""}, nil)},
		{"content", func() []byte { return ch.content("a \"quoted\" <script>\n\u2028 é") }, want(map[string]any{"content": "a \"quoted\" <script>\n\u2028 é"}, nil)},
		{"empty content", func() []byte { return ch.content("") }, want(map[string]any{"content": ""}, nil)},
		{"finish", func() []byte { return ch.finish("stop") }, want(map[string]any{}, "stop")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			event := ch.frame(tt.chunk())
			payload, ok := bytes.CutPrefix(event, []byte("data: "))
			if !ok || !bytes.HasSuffix(payload, []byte("\n\n")) || bytes.Count(payload, []byte("\n")) != 2 {
				t.Fatalf("event %q is not one SSE data line", event)
			}
			var got map[string]any
			if err := json.Unmarshal(payload, &got); err != nil {
				t.Fatalf("event %q: %v", payload, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
