package web

import (
	"testing"

	"confidant/store"
)

func TestDescribeImport(t *testing.T) {
	for _, tt := range []struct {
		c    store.ImportCounts
		want string
	}{
		{store.ImportCounts{}, "0 conversations"},
		{store.ImportCounts{Conversations: 1, Messages: 2}, "1 conversation, 2 messages"},
		{store.ImportCounts{Conversations: 2, Messages: 5, Memories: 1, Documents: 3, ConversationsSkipped: 1}, "2 conversations, 5 messages, 1 memory, 3 documents (1 item already here)"},
	} {
		if got := describeImport(tt.c); got != tt.want {
			t.Errorf("describeImport(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}
