package views

import "testing"

func TestImportSummary(t *testing.T) {
	tests := []struct {
		job  ImportJob
		want string
	}{
		{ImportJob{Conversations: 214, Messages: 3120, ConversationsSkipped: 3}, "Imported 214 conversations (3120 messages), skipped 3 already here."},
		{ImportJob{Conversations: 1, Messages: 1}, "Imported 1 conversation (1 message)."},
		{ImportJob{ConversationsSkipped: 2, Empty: 1}, "Imported 0 conversations, skipped 2 already here, left out 1 empty conversation."},
		{ImportJob{Conversations: 2, Messages: 9, Memories: 3, Documents: 1, Settings: 1, CredentialsSkipped: 2, ConnectorsSkipped: 1},
			"Imported 2 conversations (9 messages), 3 memories, 1 document, 1 setting. 2 credentials (API keys and passkeys) not recreated: make new ones here. 1 mail or calendar connection not recreated: connect your accounts again."},
	}
	for _, tt := range tests {
		if got := tt.job.Summary(); got != tt.want {
			t.Errorf("Summary() =\n%q\nwant\n%q", got, tt.want)
		}
	}
}
