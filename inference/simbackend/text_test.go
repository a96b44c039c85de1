package simbackend

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestSplitTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"hello", []string{"hello"}},
		{"hello world", []string{"hello", " world"}},
		{"  two  spaces ", []string{"  two", "  spaces", " "}},
		{"line\nbreak", []string{"line", "\nbreak"}},
	}
	for _, tc := range tests {
		got := splitTokens(tc.in)
		if !slices.Equal(got, tc.want) {
			t.Errorf("splitTokens(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Join(got, "") != tc.in {
			t.Errorf("tokens of %q do not join back", tc.in)
		}
	}
}

func TestEchoOf(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"say hello world", "hello world", true},
		{"Say: hi", "hi", true},
		{"please say \"quoted text\"", "quoted text", true},
		{"repeat: the exact words", "the exact words", true},
		{"REPEAT  x", "x", true},
		{"saying things", "", false},
		{"say", "", false},
		{"what do you say", "", false},
	}
	for _, tc := range tests {
		got, ok := echoOf(tc.in)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("echoOf(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.wantOK)
		}
	}
}

func TestGenerate(t *testing.T) {
	for _, n := range []int{0, 1, 5, 40, 200} {
		got := generate("a prompt", n)
		if len(got) != n {
			t.Errorf("generate(_, %d) gave %d tokens", n, len(got))
		}
		if !slices.Equal(got, generate("a prompt", n)) {
			t.Errorf("generate(_, %d) is not deterministic", n)
		}
	}
	if slices.Equal(generate("one prompt", 40), generate("another prompt", 40)) {
		t.Error("different prompts gave the same text")
	}
	var lists, code int
	for i := range 60 {
		text := strings.Join(generate(fmt.Sprint("prompt ", i), 60), "")
		if strings.Contains(text, "\n- ") {
			lists++
		}
		if strings.Contains(text, "```") {
			code++
		}
	}
	if lists == 0 || code == 0 {
		t.Errorf("over 60 prompts: %d with lists, %d with code; want some of each", lists, code)
	}
}
