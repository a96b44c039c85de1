package inference_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"confidant/inference"
	"confidant/inference/simbackend"
)

func msg(role string, chars int, tag string) inference.Message {
	return inference.Message{Role: role, Content: tag + strings.Repeat("x", chars-len(tag))}
}

func TestEstimateTokens(t *testing.T) {
	tests := []struct {
		m    inference.Message
		want int
	}{
		{inference.Message{Role: "user"}, 4},
		{inference.Message{Role: "user", Content: "abcd"}, 5},
		{inference.Message{Role: "user", Content: "abcde"}, 6},
		{msg("user", 400, "u"), 104},
	}
	for _, tc := range tests {
		if got := inference.EstimateTokens(tc.m); got != tc.want {
			t.Errorf("EstimateTokens(%d chars) = %d, want %d", len(tc.m.Content), got, tc.want)
		}
	}
}

func TestTrimToWindow(t *testing.T) {
	// Each 96-char message costs 24 + 4 = 28 tokens.
	sys := msg("system", 96, "S")
	u1, a1, u2, a2, u3 := msg("user", 96, "u1"), msg("assistant", 96, "a1"), msg("user", 96, "u2"), msg("assistant", 96, "a2"), msg("user", 96, "u3")
	call := msg("assistant", 96, "call")
	tool := msg("tool", 96, "t")
	huge := msg("user", 4000, "huge")
	tests := []struct {
		name            string
		in              []inference.Message
		window, reserve int
		want            []string // first bytes of kept contents
	}{
		{"all fit", []inference.Message{sys, u1, a1, u2}, 1000, 100, []string{"S", "u1", "a1", "u2"}},
		{"drops oldest", []inference.Message{sys, u1, a1, u2, a2, u3}, 28*4 + 10, 10, []string{"S", "u2", "a2", "u3"}},
		{"reserve counts", []inference.Message{sys, u1, a1, u2, a2, u3}, 28*4 + 10, 38, []string{"S", "a2", "u3"}},
		{"newest always kept", []inference.Message{sys, u1, huge}, 100, 10, []string{"S", "huge"}},
		{"no system", []inference.Message{u1, a1, u2}, 60, 0, []string{"a1", "u2"}},
		{"orphan tool result dropped", []inference.Message{sys, u1, call, tool, u2}, 28*3 + 5, 0, []string{"S", "u2"}},
		{"empty", nil, 100, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orig := slices.Clone(tc.in)
			out := inference.TrimToWindow(tc.in, tc.window, tc.reserve)
			var got []string
			for _, m := range out {
				got = append(got, strings.TrimRight(m.Content, "x"))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("kept %q, want %q", got, tc.want)
			}
			for i := range orig {
				if orig[i].Content != tc.in[i].Content {
					t.Fatal("input modified")
				}
			}
		})
	}
}

func TestParseBaseURLs(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr error
	}{
		{"http://a:8000", []string{"http://a:8000"}, nil},
		{"http://a:8000/v1/, https://b/api/v1 ,http://c/", []string{"http://a:8000", "https://b/api", "http://c"}, nil},
		{" , ", nil, inference.ErrConfig},
		{"ftp://a", nil, inference.ErrConfig},
		{"a:8000", nil, inference.ErrConfig},
		{"http://a/?x=1", nil, inference.ErrConfig},
		{"http://user:pw@a/", nil, inference.ErrConfig},
	}
	for _, tc := range tests {
		got, err := inference.ParseBaseURLs(tc.in)
		if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) || !slices.Equal(got, tc.want) {
			t.Errorf("ParseBaseURLs(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
	if _, err := inference.New(inference.Config{}); !errors.Is(err, inference.ErrConfig) {
		t.Errorf("New without URL: %v", err)
	}
}

// TestTrimFitsTheBackend checks that a conversation too long for the
// backend's window is accepted once trimmed: the estimate must never be
// below what the backend counts.
func TestTrimFitsTheBackend(t *testing.T) {
	b := newBackend(t, simbackend.Options{})
	c := newClient(t, inference.Config{}, b.URL)
	msgs := []inference.Message{{Role: inference.RoleSystem, Content: "Be kind."}}
	for i := range 200 {
		role := inference.RoleUser
		if i%2 == 1 {
			role = inference.RoleAssistant
		}
		msgs = append(msgs, inference.Message{Role: role, Content: strings.Repeat("word ", 50)})
	}
	msgs = append(msgs, inference.Message{Role: inference.RoleUser, Content: "say done"})
	req := inference.ChatRequest{Model: simbackend.ChatModel, Messages: msgs, MaxTokens: 256}
	_, err := c.Complete(context.Background(), req)
	var se *inference.StatusError
	if !errors.As(err, &se) || se.Code != "context_length_exceeded" {
		t.Fatalf("untrimmed: %v, want context_length_exceeded", err)
	}
	models, err := c.Models(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	req.Messages = inference.TrimToWindow(msgs, models[0].ContextWindow, req.MaxTokens)
	res, err := c.Complete(context.Background(), req)
	if err != nil {
		t.Fatalf("trimmed to %d messages: %v", len(req.Messages), err)
	}
	if res.Content != "done" || req.Messages[0].Role != inference.RoleSystem || len(req.Messages) >= len(msgs) {
		t.Errorf("content %q, %d of %d messages kept", res.Content, len(req.Messages), len(msgs))
	}
}
