package memory

import (
	"slices"
	"testing"
)

func TestExplicitRequests(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Remember that I'm allergic to peanuts.", []string{"I'm allergic to peanuts"}},
		{"please remember: my sister is called Ada", []string{"My sister is called Ada"}},
		{"Hi! Don't forget that the demo is on Friday. Thanks", []string{"The demo is on Friday"}},
		{"Keep in mind I prefer metric units\nWhat's 5 miles?", []string{"I prefer metric units"}},
		{"Can you remember what I said yesterday?", nil},
		{"Do you remember when we talked about Rust?", nil},
		{"I always remember my dreams.", nil},
		{"What is the capital of France?", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := ExplicitRequests(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("ExplicitRequests(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
