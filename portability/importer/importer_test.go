package importer

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseAll(t *testing.T, data []byte) (*File, []Conversation) {
	t.Helper()
	f, err := Open(data, Limits{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	var out []Conversation
	if err := f.Each(func(_ int, c Conversation) error { out = append(out, c); return nil }); err != nil {
		t.Fatalf("each: %v", err)
	}
	return f, out
}

// branch is a conversation's path from a root to leaf, as texts.
func branch(c Conversation, leaf string) []string {
	byID := map[string]Message{}
	for _, m := range c.Messages {
		byID[m.ExternalID] = m
	}
	var path []string
	for id := leaf; id != ""; id = byID[id].ParentID {
		m, ok := byID[id]
		if !ok {
			return append(path, "<missing "+id+">")
		}
		path = append([]string{m.Role + ": " + m.Text}, path...)
	}
	return path
}

func TestDetect(t *testing.T) {
	tests := []struct {
		file string
		want Format
	}{
		{"chatgpt_conversations.json", FormatChatGPT},
		{"chatgpt_export.zip", FormatChatGPT},
		{"claude_conversations.json", FormatClaude},
		{"claude_export.zip", FormatClaude},
		{"openwebui_chats.json", FormatOpenWebUI},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := Open(readTestdata(t, tt.file), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if f.Format != tt.want {
				t.Errorf("format = %s, want %s", f.Format, tt.want)
			}
		})
	}
	t.Run("age bundle", func(t *testing.T) {
		f, err := Open([]byte(AgeHeader+"-> scrypt abc 18\nxyz\n--- abc\n\x00\x01"), Limits{})
		if err != nil || f.Format != FormatConfidant {
			t.Fatalf("got %v, %v", f, err)
		}
		if err := f.Each(func(int, Conversation) error { return nil }); !errors.Is(err, ErrUnsupported) {
			t.Errorf("each on a bundle = %v, want ErrUnsupported", err)
		}
	})
}

func TestChatGPT(t *testing.T) {
	_, convs := parseAll(t, readTestdata(t, "chatgpt_conversations.json"))
	if len(convs) != 3 {
		t.Fatalf("got %d conversations, want 3", len(convs))
	}
	kyoto := convs[0]
	if kyoto.Title != "Trip to Kyoto 🗾" || kyoto.ExternalID != "6650a3b2-1c2d-8001-a1b2-c3d4e5f60001" || kyoto.Model != "gpt-4o" {
		t.Errorf("conversation = %q %q %q", kyoto.Title, kyoto.ExternalID, kyoto.Model)
	}
	if want := time.Unix(1716371330, 512431000).UTC(); !kyoto.CreatedAt.Round(time.Millisecond).Equal(want.Round(time.Millisecond)) {
		t.Errorf("created = %v, want %v", kyoto.CreatedAt, want)
	}
	// Hidden system root, the web search call and the browsing result are
	// skipped; both versions of the question and both answers are kept.
	if len(kyoto.Messages) != 7 {
		for _, m := range kyoto.Messages {
			t.Logf("%s %s: %q", m.ExternalID, m.Role, m.Text)
		}
		t.Fatalf("got %d messages, want 7", len(kyoto.Messages))
	}
	seen := map[string]bool{}
	for _, m := range kyoto.Messages {
		if m.ParentID != "" && !seen[m.ParentID] {
			t.Errorf("message %s comes before its parent %s", m.ExternalID, m.ParentID)
		}
		seen[m.ExternalID] = true
	}
	got := branch(kyoto, kyoto.CurrentLeaf)
	want := []string{
		"user: Plan three days in Kyoto for me, in autumn, with kids.",
		"assistant: With children in November: morning at the Railway Museum, afternoon maples at Eikan-do, and a ryokan with a family bath.",
		"user: [image]\n\nIs this the ryokan you meant?",
		"assistant: Yes — that is the one near Nanzen-ji.",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("current branch =\n%q\nwant\n%q", got, want)
	}
	old := branch(kyoto, "7d0b9c44-1111-4aaa-8bbb-000000000011")
	if len(old) != 2 || old[0] != "user: Plan three days in Kyoto for me." {
		t.Errorf("first branch = %q", old)
	}
	// The regenerated answer is a sibling of the first autumn answer.
	var parents []string
	for _, m := range kyoto.Messages {
		if strings.HasPrefix(m.ExternalID, "6f601b43") {
			parents = append(parents, m.ParentID)
		}
	}
	if len(parents) != 2 || parents[0] != parents[1] || parents[0] != "aaa2b1c3-0000-4000-8000-000000000020" {
		t.Errorf("answers' parents = %q", parents)
	}

	math := convs[1]
	if math.Title != "Ünïcödé — 数学の質問 🧮" || !math.Archived || math.Model != "o3" {
		t.Errorf("unicode conversation = %q archived=%v model=%q", math.Title, math.Archived, math.Model)
	}
	got = branch(math, math.CurrentLeaf)
	if len(got) != 3 || !strings.Contains(got[0], "√2 は無理数ですか") || !strings.HasPrefix(got[2], "assistant: ```python\n") {
		t.Errorf("unicode branch = %q", got)
	}
	if empty := convs[2]; len(empty.Messages) != 0 || empty.CurrentLeaf != "" {
		t.Errorf("empty conversation has %d messages", len(empty.Messages))
	}
}

func TestChatGPTZipMatchesJSON(t *testing.T) {
	_, fromJSON := parseAll(t, readTestdata(t, "chatgpt_conversations.json"))
	_, fromZip := parseAll(t, readTestdata(t, "chatgpt_export.zip"))
	if len(fromJSON) != len(fromZip) {
		t.Fatalf("zip has %d conversations, json %d", len(fromZip), len(fromJSON))
	}
	for i := range fromJSON {
		if len(fromJSON[i].Messages) != len(fromZip[i].Messages) {
			t.Errorf("conversation %d differs", i)
		}
	}
}

func TestClaude(t *testing.T) {
	_, convs := parseAll(t, readTestdata(t, "claude_export.zip"))
	if len(convs) != 3 {
		t.Fatalf("got %d conversations", len(convs))
	}
	rust := convs[0]
	if len(rust.Messages) != 5 || rust.Title != "Rust lifetimes, gently" || rust.Model != "claude" {
		t.Fatalf("rust = %q, %d messages", rust.Title, len(rust.Messages))
	}
	// Two answers to the first question: a branch from parent_message_uuid.
	if rust.Messages[1].ParentID != rust.Messages[0].ExternalID || rust.Messages[2].ParentID != rust.Messages[0].ExternalID {
		t.Errorf("answers' parents = %q, %q", rust.Messages[1].ParentID, rust.Messages[2].ParentID)
	}
	if strings.Contains(rust.Messages[1].Text, "Keep it simple") {
		t.Error("thinking was imported as text")
	}
	last := branch(rust, "c0000000-0000-4000-8000-000000000005")
	if len(last) != 4 || !strings.Contains(last[1], "names how long") || !strings.Contains(last[2], "[attached file: main.rs]") {
		t.Errorf("last branch = %q", last)
	}
	haiku := convs[1]
	if len(haiku.Messages) != 2 || haiku.Messages[1].ParentID != haiku.Messages[0].ExternalID {
		t.Fatalf("linear conversation = %+v", haiku.Messages)
	}
	if !strings.HasPrefix(haiku.Messages[1].Text, "Neige sur le toit") || !strings.HasSuffix(haiku.Messages[1].Text, "[file: neige.png]") {
		t.Errorf("haiku = %q", haiku.Messages[1].Text)
	}
	if len(convs[2].Messages) != 0 || convs[2].Title != "" {
		t.Error("empty conversation has messages or a title")
	}
}

func TestFallbackTitle(t *testing.T) {
	tests := []struct {
		msgs []Message
		want string
	}{
		{nil, ""},
		{[]Message{{Role: RoleAssistant, Text: "Hello"}, {Role: RoleUser, Text: "  Why is the sky blue?\nAsking for a friend"}}, "Why is the sky blue?"},
		{[]Message{{Role: RoleUser, Text: strings.Repeat("é", 80)}}, strings.Repeat("é", 59) + "…"},
	}
	for _, tt := range tests {
		if got := fallbackTitle(tt.msgs); got != tt.want {
			t.Errorf("fallbackTitle = %q, want %q", got, tt.want)
		}
	}
}

func TestOpenWebUI(t *testing.T) {
	_, convs := parseAll(t, readTestdata(t, "openwebui_chats.json"))
	if len(convs) != 2 {
		t.Fatalf("got %d chats", len(convs))
	}
	pi := convs[0]
	if len(pi.Messages) != 4 || !pi.Pinned || pi.Model != "llama3.1:8b" || pi.CurrentLeaf != "m4" {
		t.Fatalf("pi = %d messages pinned=%v model=%q leaf=%q", len(pi.Messages), pi.Pinned, pi.Model, pi.CurrentLeaf)
	}
	if got := branch(pi, "m2"); len(got) != 2 || got[1] != "assistant: Slowly: about 2 tokens per second with 8 GB of RAM." {
		t.Errorf("first answer branch = %q", got)
	}
	if got := branch(pi, "m4"); len(got) != 3 || got[2] != "user: Danke schön! 👍" {
		t.Errorf("current branch = %q", got)
	}
	if pi.Messages[2].Model != "qwen2.5:7b" || !pi.CreatedAt.Equal(time.Unix(1722500000, 0).UTC()) {
		t.Errorf("model %q created %v", pi.Messages[2].Model, pi.CreatedAt)
	}
	if len(convs[1].Messages) != 0 {
		t.Error("empty chat has messages")
	}
}

// zipOf builds a zip archive from name → content.
func zipOf(t *testing.T, entries ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		f, err := w.Create(e[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(e[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRefusals(t *testing.T) {
	sample := string(readTestdata(t, "chatgpt_conversations.json"))
	huge := func(n int) []byte {
		return []byte(`[{"conversation_id":"x","create_time":1,"mapping":{},"current_node":null,"title":"` + strings.Repeat("t", n) + `"}]`)
	}
	deep := "[{\"conversation_id\":\"x\",\"create_time\":1,\"mapping\":{},\"current_node\":null,\"title\":" + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "}]"
	tests := []struct {
		name string
		data []byte
		lim  Limits
		want error
	}{
		{"empty file", nil, Limits{}, ErrEmpty},
		{"empty list", []byte(" [ ] "), Limits{}, ErrEmpty},
		{"not json", []byte("hello, world"), Limits{}, ErrUnknownFormat},
		{"pdf", []byte("%PDF-1.7\n"), Limits{}, ErrUnknownFormat},
		{"other json", []byte(`[{"foo": 1}]`), Limits{}, ErrUnknownFormat},
		{"object not list", []byte(`{"mapping": {}}`), Limits{}, ErrUnknownFormat},
		{"truncated", []byte(sample[:len(sample)/2]), Limits{}, ErrMalformed},
		{"trailing garbage", []byte(sample + "{}"), Limits{}, ErrMalformed},
		{"wrong type", []byte(`[{"conversation_id":"x","create_time":1,"mapping":[1,2],"current_node":null}]`), Limits{}, ErrMalformed},
		{"no id", []byte(`[{"create_time":1,"mapping":{},"current_node":null}]`), Limits{}, ErrMalformed},
		{"no time", []byte(`[{"conversation_id":"x","mapping":{},"current_node":null}]`), Limits{}, ErrMalformed},
		{"deeply nested", []byte(deep), Limits{}, ErrMalformed},
		{"too many conversations", []byte(sample), Limits{MaxConversations: 2}, ErrTooLarge},
		{"too many messages", []byte(sample), Limits{MaxMessages: 5}, ErrTooLarge},
		{"message too long", []byte(sample), Limits{MaxTextBytes: 20}, ErrTooLarge},
		{"conversation too large", append([]byte(sample[:len(sample)-1]+","), huge(3 << 20)[1:]...), Limits{MaxConversationBytes: 1 << 20}, ErrTooLarge},
		{"first conversation too large", huge(3 << 20), Limits{MaxConversationBytes: 1 << 20}, ErrTooLarge},
		{"zip without conversations", zipOf(t, [2]string{"notes.txt", "hi"}), Limits{}, ErrUnknownFormat},
		{"zip traversal", zipOf(t, [2]string{"../../etc/cron.d/evil", "x"}, [2]string{"conversations.json", sample}), Limits{}, ErrUnsafeArchive},
		{"zip absolute path", zipOf(t, [2]string{"/etc/passwd", "x"}, [2]string{"conversations.json", sample}), Limits{}, ErrUnsafeArchive},
		{"zip backslash path", zipOf(t, [2]string{`..\..\evil.bat`, "x"}, [2]string{"conversations.json", sample}), Limits{}, ErrUnsafeArchive},
		{"zip bomb ratio", zipOf(t, [2]string{"conversations.json", sample}, [2]string{"pad.bin", strings.Repeat("\x00", 4<<20)}), Limits{}, ErrUnsafeArchive},
		{"zip huge entry", zipOf(t, [2]string{"conversations.json", sample}), Limits{MaxEntryBytes: 1000}, ErrTooLarge},
		{"zip total too large", zipOf(t, [2]string{"conversations.json", sample}, [2]string{"a.bin", strings.Repeat("ab", 5000)}), Limits{MaxTotalBytes: 20000}, ErrUnsafeArchive},
		{"zip too many entries", zipOf(t, [2]string{"a", ""}, [2]string{"b", ""}, [2]string{"conversations.json", sample}), Limits{MaxEntries: 2}, ErrUnsafeArchive},
		{"zip truncated", zipOf(t, [2]string{"conversations.json", sample})[:300], Limits{}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Open(tt.data, tt.lim)
			if err == nil {
				err = f.Each(func(int, Conversation) error { return nil })
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			e, ok := AsError(err)
			if !ok || e.Code == "" || e.Message == "" {
				t.Fatalf("error %v is not a person-readable *Error", err)
			}
			if strings.Contains(e.Message, "Kyoto") || strings.Contains(e.Message, "mapping\":") {
				t.Errorf("error message leaks content: %s", e.Message)
			}
		})
	}
}

func TestEpoch(t *testing.T) {
	want := time.Unix(1722500000, 0).UTC()
	for _, v := range []float64{1722500000, 1722500000000, 1722500000000000, 1722500000000000000} {
		if got, ok := epoch(v); !ok || !got.Equal(want) {
			t.Errorf("epoch(%v) = %v", v, got)
		}
	}
	if _, ok := epoch(0); ok {
		t.Error("epoch(0) is set")
	}
}
