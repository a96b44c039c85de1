package chat

import (
	"slices"
	"testing"
)

func TestWithSystemKeepsOneLeadingSystemMessage(t *testing.T) {
	tests := []struct {
		name string
		in   []Prompt
		want []Prompt
	}{
		{"none yet", []Prompt{{"user", "hi"}}, []Prompt{{"system", "mem"}, {"user", "hi"}}},
		{"merged ahead of instructions", []Prompt{{"system", "be brief"}, {"user", "hi"}}, []Prompt{{"system", "mem\n\nbe brief"}, {"user", "hi"}}},
		{"empty prompt", nil, []Prompt{{"system", "mem"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.in)
			if got := withSystem(in, "mem"); !slices.Equal(got, tt.want) {
				t.Errorf("withSystem = %q, want %q", got, tt.want)
			}
			if !slices.Equal(in, tt.in) {
				t.Errorf("the caller's prompt was changed: %q", in)
			}
		})
	}
}
