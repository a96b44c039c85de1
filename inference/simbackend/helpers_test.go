package simbackend_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"confidant/inference/simbackend"
)

// newServer starts a simulated backend on a test HTTP server.
func newServer(t *testing.T, opts simbackend.Options) (*simbackend.Server, *httptest.Server) {
	t.Helper()
	sim := simbackend.New(opts)
	ts := httptest.NewServer(sim)
	t.Cleanup(ts.Close)
	return sim, ts
}

// do sends a request and returns the status and body.
func do(t *testing.T, method, url, body string, hdr ...string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// sseEvents reads data payloads until the body ends and returns them with
// the read error (nil at a clean end).
func sseEvents(body io.Reader) ([]string, error) {
	var out []string
	r := bufio.NewReader(body)
	for {
		line, err := r.ReadString('\n')
		if p, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "data: "); ok && strings.HasSuffix(line, "\n") {
			out = append(out, p)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// chunk is the part of a chat.completion.chunk the tests read.
type chunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Choices []struct {
		Delta struct {
			Role      *string `json:"role"`
			Content   *string `json:"content"`
			ToolCalls []struct {
				Index    int    `json:"index"`
				ID       string `json:"id"`
				Type     string `json:"type"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

func decodeChunks(t *testing.T, events []string) []chunk {
	t.Helper()
	var out []chunk
	for _, e := range events {
		if e == "[DONE]" {
			continue
		}
		var c chunk
		if err := json.NewDecoder(bytes.NewReader([]byte(e))).Decode(&c); err != nil {
			t.Fatalf("chunk %q: %v", e, err)
		}
		out = append(out, c)
	}
	return out
}

// chatBody builds a chat request body with one user message.
func chatBody(t *testing.T, model, user string, stream bool, extra map[string]any) string {
	t.Helper()
	req := map[string]any{
		"model":    model,
		"messages": []map[string]string{{"role": "system", "content": "be brief"}, {"role": "user", "content": user}},
		"stream":   stream,
	}
	for k, v := range extra {
		req[k] = v
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
