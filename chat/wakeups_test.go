package chat_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"confidant/chat"
	"confidant/store"
)

// TestViewerOnAnotherReplicaWakesOnCommits follows an answer written by
// another replica (another Service on the same database) with polling
// turned down to once an hour: only the LISTEN/NOTIFY wake-ups can carry
// the answer's growth and its end to the viewer in time.
func TestViewerOnAnotherReplicaWakesOnCommits(t *testing.T) {
	tokens := make([]string, 40)
	for i := range tokens {
		tokens[i] = "word" + string(rune('a'+i%26)) + " "
	}
	writer, st, u, b := setup(t, tokens...)
	b.delay = 40 * time.Millisecond
	viewer := chat.New(st, b, chat.Options{CommitEvery: 10 * time.Millisecond, Listen: true, FollowPoll: time.Hour})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		viewer.Shutdown(ctx)
	})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sent, err := writer.Send(ctx, u.ID, [16]byte{}, "tell me something long", "")
	if err != nil {
		t.Fatal(err)
	}
	var seen []chat.Snapshot
	if err := viewer.Follow(ctx, u.ID, sent.Assistant.ID, func(s chat.Snapshot) error { seen = append(seen, s); return nil }); err != nil {
		t.Fatalf("viewer on the other replica: %v after %d snapshots", err, len(seen))
	}
	last := seen[len(seen)-1]
	if last.Status != store.StatusComplete || last.Content != strings.Join(tokens, "") {
		t.Fatalf("last snapshot: %q %q", last.Status, last.Content)
	}
	// Growth arrived in several steps, not only at the end.
	grew := 0
	for i := 1; i < len(seen); i++ {
		if len(seen[i].Content) > len(seen[i-1].Content) && seen[i].Status == store.StatusStreaming {
			grew++
		}
	}
	if grew < 3 {
		t.Fatalf("the viewer saw the answer grow %d times; want several wake-ups while it streamed", grew)
	}
	// The viewer unregistered: no follower rows are left for the writer to notify.
	if n := st.AnswerFollowers(context.Background(), sent.Assistant.ID); n != 0 {
		t.Fatalf("%d follower rows left after the viewer ended", n)
	}
}
