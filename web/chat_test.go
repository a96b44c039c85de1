package web_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/internal/softauthn"
	"confidant/internal/testclient"
	"confidant/store"
)

var (
	streamURL = regexp.MustCompile(`data-stream="(/c/[0-9a-f-]{36}/m/[0-9a-f-]{36}/stream)"`)
	rawID     = regexp.MustCompile(`id="raw-([0-9a-f-]{36})"`)
)

// lastAnswerStream is the event stream of the last turn on a conversation
// page; it also serves an answer that has already ended (one event).
func lastAnswerStream(t *testing.T, conv, page string) string {
	t.Helper()
	ids := rawID.FindAllStringSubmatch(page, -1)
	if len(ids) == 0 {
		t.Fatalf("no turns on %s", conv)
	}
	return conv + "/m/" + ids[len(ids)-1][1] + "/stream"
}

type sseEvent struct {
	ID, Event string
	Data      struct {
		HTML, Status, Notice, Text, Memories, Sources, Tools string
	}
}

// readStream follows an answer's server-sent events to the end.
func readStream(t *testing.T, c *testclient.Client, path, lastEventID string) (*http.Response, []sseEvent) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.Base+path, nil)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var events []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			cur.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			cur.Event = line[7:]
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(line[6:]), &cur.Data); err != nil {
				t.Fatal(err)
			}
		case line == "":
			events = append(events, cur)
			cur = sseEvent{}
		}
	}
	return res, events
}

// send posts a message from the composer and returns the page it leads to.
func send(t *testing.T, c *testclient.Client, action, content string) (string, string) {
	t.Helper()
	res, _ := c.PostForm(action, url.Values{"content": {content}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s: %d", action, res.StatusCode)
	}
	loc := res.Header.Get("Location")
	_, page := c.Get(loc)
	return loc, page
}

func TestChatOverHTTP(t *testing.T) {
	srv := start(t)
	alice := testclient.New(t, srv)
	alice.SignUp(softauthn.New(srv.URL), "alice", "Alice")
	alice.Get("/")

	loc, page := send(t, alice, "/c", "Say streaming works [[sim:delay=300ms]]")
	m := streamURL.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no streaming answer on %s", loc)
	}
	res, events := readStream(t, alice, m[1], "")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" || len(events) < 2 {
		t.Fatalf("stream: %d %s %d events", res.StatusCode, res.Header.Get("Content-Type"), len(events))
	}
	last := events[len(events)-1]
	if last.Event != "end" || last.Data.Status != "complete" || !strings.Contains(last.Data.HTML, "streaming works") || last.Data.Text != "streaming works" {
		t.Fatalf("last event %+v", last)
	}
	// Resuming after the last event id replays only the end.
	_, again := readStream(t, alice, m[1], last.ID)
	if len(again) != 1 || again[0].Event != "end" {
		t.Fatalf("resume gave %+v", again)
	}

	// Reload shows the finished answer; the sidebar lists the chat.
	_, page = alice.Get(loc)
	if streamURL.MatchString(page) || !strings.Contains(page, "streaming works") || !strings.Contains(page, `data-testid="conv-link"`) {
		t.Fatal("reloaded page does not show the finished answer and the sidebar entry")
	}

	// Another user can neither watch, read, stop nor rename it.
	mallory := testclient.New(t, srv)
	mallory.SignUp(softauthn.New(srv.URL), "mallory", "Mallory")
	mallory.Get("/")
	if res, _ := readStream(t, mallory, m[1], ""); res.StatusCode != http.StatusNotFound {
		t.Errorf("another user's stream: %d", res.StatusCode)
	}
	if res, _ := mallory.Get(loc); res.StatusCode != http.StatusNotFound {
		t.Errorf("another user's conversation: %d", res.StatusCode)
	}
	for _, action := range []string{loc + "/rename", loc + "/delete", loc + "/messages", strings.TrimSuffix(m[1], "/stream") + "/stop"} {
		if res, _ := mallory.PostForm(action, url.Values{"title": {"x"}, "content": {"x"}}); res.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s by another user: %d", action, res.StatusCode)
		}
	}

	// A backend that dies mid-answer leaves the partial text and a notice.
	_, page = send(t, alice, loc+"/messages", "go on [[sim:fail-after=4]] [[sim:delay=10ms]]")
	_, events = readStream(t, alice, lastAnswerStream(t, loc, page), "")
	last = events[len(events)-1]
	if last.Data.Status != "interrupted" || last.Data.Notice == "" || last.Data.Text == "" {
		t.Fatalf("interrupted answer: %+v", last)
	}

	// The model can be switched, to one the backends offer.
	if res, _ := alice.PostForm(loc+"/model", url.Values{"model": {"gpt-imaginary"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown model: %d", res.StatusCode)
	}
	if res, _ := alice.PostForm(loc+"/model", url.Values{"model": {"sim-chat"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("known model: %d", res.StatusCode)
	}
	if res, _ := mallory.PostForm(loc+"/model", url.Values{"model": {"sim-chat"}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("another user's model switch: %d", res.StatusCode)
	}

	// Empty messages are refused with a message a person understands.
	res, body := alice.PostForm(loc+"/messages", url.Values{"content": {"   "}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "Write a message first.") {
		t.Errorf("empty message: %d", res.StatusCode)
	}
}

// A long answer streamed fast is not rendered once per token: changes are
// merged into events at most a few dozen a second, and the last event has
// the whole answer.
func TestStreamMergesFastTokens(t *testing.T) {
	srv := start(t)
	alice := testclient.New(t, srv)
	alice.SignUp(softauthn.New(srv.URL), "alice", "Alice")
	alice.Get("/")

	loc, page := send(t, alice, "/c", "Tell me a lot [[sim:tokens=300]] [[sim:delay=2ms]]")
	m := streamURL.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no streaming answer on %s", loc)
	}
	began := time.Now()
	_, events := readStream(t, alice, m[1], "")
	took := time.Since(began)
	if len(events) < 2 {
		t.Fatalf("%d events", len(events))
	}
	last := events[len(events)-1]
	if last.Event != "end" || last.Data.Status != "complete" || len(strings.Fields(last.Data.Text)) < 250 { // 300 tokens
		t.Fatalf("last event %s %s with %d words", last.Event, last.Data.Status, len(strings.Fields(last.Data.Text)))
	}
	// At most one event per gap, plus the first and the last.
	if most := int(took/(40*time.Millisecond)) + 2; len(events) > most {
		t.Errorf("%d events in %s, want at most %d", len(events), took, most)
	}
	prev := -1
	for _, e := range events {
		v, err := strconv.Atoi(e.ID)
		if err != nil || v <= prev {
			t.Fatalf("event ids %v are not increasing", e.ID)
		}
		prev = v
	}
}

func TestLongConversationLoadsInWindows(t *testing.T) {
	srv := start(t)
	c := testclient.New(t, srv)
	c.SignUp(softauthn.New(srv.URL), "alice", "Alice")
	ctx := t.Context()
	user, err := srv.Store.UserByUsername(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	convID, _ := uuid.NewV7()
	if err := srv.Store.CreateConversation(ctx, store.Conversation{ID: convID, UserID: user.ID, Model: "sim-chat", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var parent *uuid.UUID
	for i := range 100 {
		id, _ := uuid.NewV7()
		role := store.RoleUser
		if i%2 == 1 {
			role = store.RoleAssistant
		}
		m := store.Message{ID: id, ConversationID: convID, UserID: user.ID, ParentID: parent, Role: role,
			Content: fmt.Sprintf("message number %03d", i), Status: store.StatusComplete, CreatedAt: time.Now()}
		if err := srv.Store.AddMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		parent = &m.ID
	}
	if err := srv.Store.UpdateConversation(ctx, user.ID, convID, store.ConversationUpdate{CurrentLeaf: parent}, time.Now()); err != nil {
		t.Fatal(err)
	}
	earlier := regexp.MustCompile(`hx-get="(/c/[^"]+/earlier\?before=[^"]+)"`)
	count := func(page string) int { return strings.Count(page, `<article class="turn`) }

	_, page := c.Get("/c/" + convID.String())
	if n := count(page); n != 40 || !strings.Contains(page, "message number 099") || strings.Contains(page, "message number 059") {
		t.Fatalf("first window: %d turns", n)
	}
	var seen int = 40
	for i := 0; ; i++ {
		m := earlier.FindStringSubmatch(page)
		if m == nil {
			break
		}
		req, _ := http.NewRequest(http.MethodGet, c.Base+html.UnescapeString(m[1]), nil)
		req.Header.Set("HX-Request", "true")
		_, body := c.Do(req)
		page = string(body)
		seen += count(page)
		if i > 5 {
			t.Fatal("earlier windows never end")
		}
	}
	if seen != 100 || !strings.Contains(page, "message number 000") {
		t.Fatalf("saw %d turns in all windows", seen)
	}
	// Without JavaScript the link shows the whole conversation.
	_, page = c.Get("/c/" + convID.String() + "?all=1")
	if n := count(page); n != 100 {
		t.Fatalf("all=1 shows %d turns", n)
	}
}
