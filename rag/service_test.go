package rag

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanName(t *testing.T) {
	long := strings.Repeat("é", 300) + ".pdf"
	tests := []struct{ in, want string }{
		{"notes.md", "notes.md"},
		{"  spaced .txt  ", "spaced .txt"},
		{"tab\there\x00.txt", "tabhere.txt"},
		{"bad\xffbyte.txt", "bad\uFFFDbyte.txt"},
		{"", "untitled"},
		{"\x01\x02", "untitled"},
		{long, strings.Repeat("é", maxNameRunes-4) + ".pdf"},
	}
	for _, tc := range tests {
		got := cleanName(tc.in)
		if got != tc.want {
			t.Errorf("cleanName(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if utf8.RuneCountInString(got) > maxNameRunes {
			t.Errorf("cleanName(%q) is %d runes long", tc.in, utf8.RuneCountInString(got))
		}
	}
}
