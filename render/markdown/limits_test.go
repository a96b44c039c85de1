package markdown

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// renderWithin renders src on a goroutine and fails the test if that takes
// longer than limit (the goroutine is abandoned, the test still fails).
func renderWithin(t *testing.T, r *Renderer, src string, limit time.Duration) string {
	t.Helper()
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := r.Render(src)
		done <- result{string(out), err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			t.Fatalf("Render: %v", res.err)
		}
		return res.out
	case <-time.After(limit):
		t.Fatalf("Render did not finish within %v", limit)
		return ""
	}
}

func TestPathologicalInputsRenderInBoundedTime(t *testing.T) {
	const n = 10_000
	stair := func(depth int) string {
		var b strings.Builder
		for i := range depth {
			b.WriteString(strings.Repeat("  ", i) + "- x\n")
		}
		return b.String()
	}
	cases := map[string]string{
		"gt":            strings.Repeat(">", n) + " deep",
		"gt spaced":     strings.Repeat("> ", n) + "deep",
		"brackets":      strings.Repeat("[", n),
		"image opens":   strings.Repeat("![", n),
		"unclosed link": strings.Repeat("[a](", n),
		"stars":         strings.Repeat("*", n) + "a",
		"star words":    strings.Repeat("*a ", n),
		"mixed delims":  strings.Repeat("**a_", n),
		"underscores":   strings.Repeat("_a", n),
		"tildes":        strings.Repeat("~a", n),
		"backticks":     strings.Repeat("`a", n),
		"bullets":       strings.Repeat("- ", n) + "x",
		"ordered":       strings.Repeat("1. ", n) + "x",
		"quote lists":   strings.Repeat("> - ", n) + "x",
		"indent stair":  stair(1000),
		"html opens":    strings.Repeat("<a ", n),
		"entities":      strings.Repeat("&#", n),
		"table bomb":    strings.Repeat("|", n) + "\n" + strings.Repeat("-|", n) + "\n" + strings.Repeat("a\n", n),
	}
	r := New(quietOptions())
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			out := renderWithin(t, r, src, 2*time.Second*raceSlowdown)
			if err := checkSafe(out); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestMaxSizeHostileInputs feeds inputs of the default 1 MiB limit built
// from the patterns that are quadratic in goldmark itself. Each renders in
// about 0.1–2 s on a 2-core VM; unguarded, several take many minutes. The
// limit (a minute) is generous so that a loaded machine does not make it
// flaky: it catches the quadratic blow-ups, not slowness.
func TestMaxSizeHostileInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: 1 MiB inputs")
	}
	const mib = 1 << 20
	cases := map[string]string{
		"unclosed links":   strings.Repeat("[a](", mib/4),
		"delimiters":       strings.Repeat("**a_", mib/4),
		"quotes":           strings.Repeat(">", mib),
		"quote lines":      strings.Repeat(strings.Repeat("> ", 40)+"x\n", mib/83),
		"list lines":       strings.Repeat(strings.Repeat("- ", 40)+"x\n", mib/83),
		"small paragraphs": strings.Repeat(strings.Repeat("[a](", 120)+"\n\n", mib/482),
		"headings":         strings.Repeat("# "+strings.Repeat("[a](", 120)+"\n", mib/483),
		"code blocks":      strings.Repeat("```go\nfunc main() { x := `y` }\n```\n", mib/40),
	}
	r := New(quietOptions())
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			out := renderWithin(t, r, src, 60*time.Second*raceSlowdown)
			if err := checkSafe(out); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestNestingIsFlattened(t *testing.T) {
	r := New(Options{MaxNesting: 4, Logger: quietOptions().Logger})
	for name, src := range map[string]string{
		"quotes":   strings.Repeat("> ", 50) + "x",
		"lists":    strings.Repeat("- ", 50) + "x",
		"emphasis": strings.Repeat("*", 20) + "x" + strings.Repeat("*", 20),
		"stair": func() string {
			var b strings.Builder
			for i := range 30 {
				b.WriteString(strings.Repeat("  ", i) + "- x\n")
			}
			return b.String()
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			out, err := r.Render(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkSafe(string(out)); err != nil {
				t.Fatal(err)
			}
			if d := maxDepth(string(out)); d > 12 {
				t.Errorf("depth %d after flattening:\n%s", d, out)
			}
			if !strings.Contains(string(out), "x") {
				t.Errorf("content lost: %s", out)
			}
		})
	}
}

// maxDepth is a crude element-depth counter for balanced output.
func maxDepth(s string) int {
	depth, maxD := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] != '<' || i+1 >= len(s) {
			continue
		}
		switch {
		case s[i+1] == '/':
			depth--
		case strings.HasPrefix(s[i:], "<br") || strings.HasPrefix(s[i:], "<hr") || strings.HasPrefix(s[i:], "<input"):
		default:
			depth++
			maxD = max(maxD, depth)
		}
	}
	return maxD
}

func TestTruncation(t *testing.T) {
	r := New(Options{MaxInputBytes: 100, Logger: quietOptions().Logger})
	// A multi-byte rune straddles the cut; a code fence is left open.
	src := "```go\n" + strings.Repeat("é", 200)
	out, err := r.Render(src)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if !strings.HasSuffix(s, `<p class="md-truncated">[… message truncated …]</p>`) {
		t.Errorf("no truncation marker: %s", s)
	}
	if !utf8.ValidString(s) {
		t.Error("output is not valid UTF-8")
	}
	if err := checkSafe(s); err != nil {
		t.Error(err)
	}
	if n := strings.Count(s, "é"); n > 50 {
		t.Errorf("kept %d runes of a 100-byte budget", n)
	}

	short, err := r.Render("short")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(short), "md-truncated") {
		t.Errorf("short input marked truncated: %s", short)
	}
}

func TestDefaultLimits(t *testing.T) {
	o := Options{}.withDefaults()
	if o.MaxInputBytes != 1<<20 || o.MaxNesting != DefaultMaxNesting || o.Logger == nil ||
		o.MaxHighlightBytes != DefaultMaxHighlightBytes || o.HighlightBudget != DefaultHighlightBudget ||
		o.MaxTableCells != DefaultMaxTableCells {
		t.Errorf("defaults not applied: %+v", o)
	}
}

func TestOversizedTableStaysText(t *testing.T) {
	r := New(Options{MaxTableCells: 20, Logger: quietOptions().Logger})
	small, _ := r.Render("|a|b|\n|-|-|\n|1|2|")
	if !strings.Contains(string(small), "<table>") {
		t.Errorf("small table not rendered: %s", small)
	}
	big, _ := r.Render("|a|b|c|d|e|\n|-|-|-|-|-|\n" + strings.Repeat("|1|2|3|4|5|\n", 10))
	if strings.Contains(string(big), "<table>") {
		t.Errorf("table over MaxTableCells rendered as table: %s", big)
	}
}

func TestOversizedParagraphIsLiteral(t *testing.T) {
	r := New(quietOptions())
	// One paragraph far beyond the inline budget: shown as escaped text.
	src := strings.Repeat("*a* [b](https://x.example) ", 4000)
	out := renderWithin(t, r, src, 2*time.Second)
	if strings.Contains(out, "<em>") || strings.Contains(out, "<a ") {
		t.Errorf("over-budget paragraph was inline-parsed")
	}
	if !strings.Contains(out, "*a* [b](https://x.example)") {
		t.Errorf("literal text missing: %s", excerpt(out))
	}
}

func TestHighlightLimits(t *testing.T) {
	r := New(Options{MaxHighlightBytes: 64, Logger: quietOptions().Logger})
	out, _ := r.Render("```go\n" + strings.Repeat("x := 1\n", 20) + "```")
	if _, code, _ := strings.Cut(string(out), "<code>"); strings.Contains(code, "<span") {
		t.Errorf("block over MaxHighlightBytes was highlighted: %s", out)
	}
	if !strings.Contains(string(out), "x := 1") {
		t.Errorf("code lost: %s", out)
	}
	r = New(Options{HighlightBudget: time.Nanosecond, Logger: quietOptions().Logger})
	out, _ = r.Render("```go\nfunc f() {}\n```")
	if strings.Contains(string(out), `<span class="kd">`) || !strings.Contains(string(out), "func f() {}") {
		t.Errorf("spent budget should give plain code: %s", out)
	}
}
