package markdown

import (
	"context"
	"strings"
	"sync"
	"testing"
)

func TestComponentMatchesRender(t *testing.T) {
	r := New(stableOptions())
	want, err := r.Render(typicalAnswer)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := r.Component(typicalAnswer).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Error("Component output differs from Render")
	}
}

func TestConcurrentRender(t *testing.T) {
	r := New(stableOptions())
	want, err := r.Render(typicalAnswer)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				got, err := r.Render(typicalAnswer)
				if err != nil || got != want {
					t.Errorf("concurrent render differs (err %v)", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestCSS(t *testing.T) {
	r := New(quietOptions())
	css, err := r.CSS("github", "github-dark")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"@media not all and (prefers-color-scheme: dark) {",
		"@media (prefers-color-scheme: dark) {",
		".chroma {",
		".chroma .kd {",
		".chroma .c1 {",
	} {
		if !strings.Contains(css, want) {
			t.Errorf("CSS lacks %q", want)
		}
	}
	light, dark, ok := strings.Cut(css, "@media (prefers-color-scheme: dark)")
	if !ok || strings.Count(light, "{") != strings.Count(light, "}") || strings.Count(dark, "{") != strings.Count(dark, "}") {
		t.Errorf("unbalanced CSS:\n%s", css)
	}
	for line := range strings.Lines(css) {
		if !strings.HasPrefix(line, ".chroma") && !strings.HasPrefix(line, "@media") &&
			!strings.HasPrefix(line, "}") && !strings.HasPrefix(line, "/*") {
			t.Errorf("rule not scoped under .chroma: %q", line)
		}
	}
	if strings.Contains(css, "<") {
		t.Error("CSS contains '<'")
	}
	if _, err := r.CSS("no-such-theme", "github-dark"); err == nil {
		t.Error("unknown light theme accepted")
	}
	if _, err := r.CSS("github", "no-such-theme"); err == nil {
		t.Error("unknown dark theme accepted")
	}
	if names := ThemeNames(); len(names) < 10 {
		t.Errorf("ThemeNames: %v", names)
	}
}

func TestSafeURL(t *testing.T) {
	cases := []struct {
		in   string
		want string // "" means rejected
	}{
		{"https://example.com/a?b=c&d=e", "https://example.com/a?b=c&amp;d=e"},
		{"http://example.com", "http://example.com"},
		{"HTTPS://EXAMPLE.COM", "HTTPS://EXAMPLE.COM"},
		{"mailto:a@example.com", "mailto:a@example.com"},
		{"https://example.com/a b", "https://example.com/a%20b"},
		{"https://example.com/\"><x", "https://example.com/%22%3E%3Cx"},
		{" https://example.com ", "https://example.com"},
		{"javascript:alert(1)", ""},
		{"JaVaScRiPt:alert(1)", ""},
		{"java\tscript:alert(1)", ""},
		{"java\nscript:alert(1)", ""},
		{"\x01javascript:alert(1)", ""},
		{"java\x00script:alert(1)", ""},
		{"vbscript:x", ""},
		{"data:text/html,x", ""},
		{"file:///etc/passwd", ""},
		{"//evil.example", ""},
		{"/relative", ""},
		{"#frag", ""},
		{"https:evil.example", ""},
		{"https:///evil.example", ""},
		{"https://user:pw@evil.example", ""},
		{"https://\"", ""}, // found by FuzzRender: host the sanitizer rejects
		{"mailto:", ""},
		{"", ""},
	}
	for _, c := range cases {
		got, ok := safeURL([]byte(c.in))
		if (c.want == "") == ok || got != c.want {
			t.Errorf("safeURL(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
}

func TestLimitLineNesting(t *testing.T) {
	cases := []struct{ in, want string }{
		{"> > > x", "> > > x"},
		{"> > > > x", "> > > \\> x"},
		{">>>>>", ">>>\\>>"},
		{"- - - - x\n", "- - - \\- x\n"},
		{"1. 2. 3. 4. x", "1. 2. 3. 4\\. x"},
		{"- - - - - -", "- - - - - -"}, // thematic break
		{"plain\n> > > > x\nplain", "plain\n> > > \\> x\nplain"},
		{strings.Repeat(" ", 20) + "- x", strings.Repeat(" ", 12) + "- x"},
		{strings.Repeat(" ", 20) + "x", strings.Repeat(" ", 20) + "x"},
	}
	for _, c := range cases {
		if got := limitLineNesting(c.in, 3); got != c.want {
			t.Errorf("limitLineNesting(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
