package markdown

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHostileCorpus renders every testdata/hostile/*.md file and checks the
// security and well-formedness invariants (see checkSafe) on the output.
func TestHostileCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "hostile", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 25 {
		t.Fatalf("hostile corpus has %d cases, want at least 25", len(files))
	}
	r := New(quietOptions())
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			out, err := r.Render(string(src))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("rendering took %v", d)
			}
			if err := checkSafe(string(out)); err != nil {
				t.Fatalf("%v\noutput:\n%s", err, excerpt(string(out)))
			}
		})
	}
}

// TestHostileSpecifics pins down behaviour the generic invariants do not.
func TestHostileSpecifics(t *testing.T) {
	r := New(quietOptions())
	cases := []struct {
		name, src string
		want      []string // substrings that must appear
		reject    []string // substrings that must not appear
	}{
		{"raw html is shown as text", "a <b onclick=x>b</b>",
			[]string{"&lt;b onclick=x&gt;b&lt;/b&gt;"}, []string{"<b"}},
		{"js link keeps text only", "[click](javascript:alert(1))",
			[]string{"<p>click</p>"}, []string{"<a"}},
		{"entity-encoded tab trick", "[x](java&#x09;script:alert(1))",
			[]string{"<p>x</p>"}, []string{"<a"}},
		{"relative link dropped", "[x](/logout)", []string{"<p>x</p>"}, []string{"<a"}},
		{"protocol-relative dropped", "[x](//evil.example)", []string{"<p>x</p>"}, []string{"<a"}},
		{"userinfo dropped", "[x](https://bank@evil.example)", []string{"<p>x</p>"}, []string{"<a"}},
		{"image becomes link", "![cat](https://img.example/c.png)",
			[]string{`<a href="https://img.example/c.png" rel="noopener noreferrer nofollow" target="_blank">[image: cat]</a>`},
			[]string{"<img"}},
		{"data image is text", "![x](data:image/png;base64,AAAA)", []string{"[image: x]"}, []string{"<a", "<img"}},
		{"image inside link is not a nested anchor", "[![i](https://a.example/i.png)](https://b.example)",
			[]string{`<a href="https://b.example" rel="noopener noreferrer nofollow" target="_blank">[image: i]</a>`},
			[]string{"a.example"}},
		{"lang injection is reduced", "```\"><script>alert(1)</script>\nx\n```",
			[]string{`data-lang="scriptalert1script"`}, []string{"<script"}},
		{"bidi override neutralized", "a\u202eb", []string{"a\ufffdb"}, []string{"\u202e"}},
		{"heading attributes not parsed", "# T {#id onclick=x}", []string{"<h1>T {#id onclick=x}</h1>"}, []string{"id="}},
		{"task list checkbox disabled", "- [x] done", []string{`<input type="checkbox" disabled="" checked="">`}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := r.Render(c.src)
			if err != nil {
				t.Fatal(err)
			}
			s := string(out)
			for _, w := range c.want {
				if !strings.Contains(s, w) {
					t.Errorf("output lacks %q:\n%s", w, s)
				}
			}
			for _, w := range c.reject {
				if strings.Contains(s, w) {
					t.Errorf("output contains %q:\n%s", w, s)
				}
			}
			if err := checkSafe(s); err != nil {
				t.Error(err)
			}
		})
	}
}

func excerpt(s string) string {
	if len(s) > 4000 {
		return s[:4000] + "…"
	}
	return s
}
