package markdown

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// FuzzRender asserts the invariants of checkSafe on arbitrary input, seeded
// with the golden and hostile corpora. Run e.g.
//
//	go test ./render/markdown -run '^$' -fuzz FuzzRender -fuzztime 30s
func FuzzRender(f *testing.F) {
	for _, dir := range []string{"golden", "hostile"} {
		files, err := filepath.Glob(filepath.Join("testdata", dir, "*.md"))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			if len(b) <= 8<<10 { // keep seeds small so the fuzzer mutates quickly
				f.Add(string(b))
			}
		}
	}
	f.Add(typicalAnswer)
	f.Add("```go\nfunc main() {")
	f.Add("[x](javascript:alert(1)) <javascript:alert(1)> ![i](data:x)")

	r := New(Options{MaxInputBytes: 64 << 10, Logger: quietOptions().Logger})
	f.Fuzz(func(t *testing.T, src string) {
		out, err := r.Render(src)
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		if !utf8.ValidString(string(out)) {
			t.Fatalf("invalid UTF-8 in output")
		}
		if err := checkSafe(string(out)); err != nil {
			t.Fatalf("%v\ninput: %q\noutput:\n%s", err, src, excerpt(string(out)))
		}
	})
}
