package enclave

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

const (
	// maxResponse bounds a successful answer (Info carries the event log).
	maxResponse = 16 << 20
	// maxErrorBody bounds how much of a failed answer is read.
	maxErrorBody = 64 << 10
	// maxErrorText bounds how much of the agent's message an error quotes.
	maxErrorText = 512
)

// rawBody keeps a response body as it came, for Info.Raw.
type rawBody []byte

// UnmarshalJSON stores a copy of the JSON text.
func (r *rawBody) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}

// call posts a JSON request to /<method> and decodes a 200 answer into out.
func (d *Dstack) call(ctx context.Context, method string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("enclave: dstack %s: encode: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.baseURL+"/"+method, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("enclave: dstack %s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: dstack %s at %s: %w", ErrUnavailable, method, d.endpoint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		text, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return &AgentError{Method: method, Status: resp.StatusCode, Message: agentMessage(text)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return fmt.Errorf("%w: dstack %s: read: %w", ErrUnavailable, method, err)
	}
	if len(data) > maxResponse {
		return fmt.Errorf("%w: dstack %s: answer larger than %d bytes", ErrBadResponse, method, maxResponse)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%w: dstack %s: %w", ErrBadResponse, method, err)
	}
	return nil
}

// agentMessage extracts the "error" field of a failed answer, or failing
// that the trimmed body, cut to maxErrorText characters.
func agentMessage(body []byte) string {
	if !utf8.Valid(body) {
		return "(non-UTF-8 body)"
	}
	text := strings.TrimSpace(string(body))
	var probe struct {
		Error *string `json:"error"`
	}
	if err := json.Unmarshal(body, &probe); err == nil && probe.Error != nil {
		text = *probe.Error
	}
	if text == "" {
		return "(empty body)"
	}
	if r := []rune(text); len(r) > maxErrorText {
		return string(r[:maxErrorText]) + "…"
	}
	return text
}
