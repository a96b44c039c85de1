package markdown

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestStreamingPrefixes renders every prefix of realistic answers, as a chat
// UI does while tokens arrive, and checks each partial render is balanced,
// safe HTML.
func TestStreamingPrefixes(t *testing.T) {
	var docs []string
	for _, name := range []string{"basic.md", "code.md", "gfm.md", "links.md", "rawhtml.md"} {
		b, err := os.ReadFile(filepath.Join("testdata", "golden", name))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	docs = append(docs, typicalAnswer)
	// Cut after every third byte (highlighting makes each render ~ms);
	// sparser under -short and -race.
	stride := 3
	if testing.Short() || raceSlowdown > 1 {
		stride = 11
	}
	r := New(quietOptions())
	for i, doc := range docs {
		for end := 0; end <= len(doc); end += stride {
			if end < len(doc) && !utf8.RuneStart(doc[end]) {
				continue
			}
			out, err := r.Render(doc[:end])
			if err != nil {
				t.Fatalf("doc %d prefix %d: %v", i, end, err)
			}
			if err := checkSafe(string(out)); err != nil {
				t.Fatalf("doc %d prefix %d (%q…): %v\n%s", i, end, tail(doc[:end]), err, out)
			}
		}
	}
}

func TestStreamingSnapshots(t *testing.T) {
	r := New(quietOptions())
	cases := []struct {
		name, src, want string
	}{
		{"unclosed fence", "Try:\n\n```go\nfunc main() {\n\tfmt.Println(\"hi", `<pre class="chroma"><code>`},
		{"fence opener only", "```py", `<div class="code-block" data-lang="py">`},
		{"half a delimiter row", "| a | b |\n|-", "| a | b |"},
		{"table without rows", "| a | b |\n|---|---|\n", "<th>a</th>"},
		{"half a link", "see [the docs](https://exa", "[the docs]("},
		{"half an emphasis", "this is **very", "**very"},
		{"half a list", "1. one\n2. ", "<li>one</li>"},
		{"open quote", "> quoting\n> ", "<blockquote>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := r.Render(c.src)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkSafe(string(out)); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(out), c.want) {
				t.Errorf("want %q in\n%s", c.want, out)
			}
		})
	}
}

func tail(s string) string {
	if len(s) > 40 {
		return s[len(s)-40:]
	}
	return s
}
