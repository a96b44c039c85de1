package markdown

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.html from the current output")

// TestGolden renders testdata/golden/*.md and compares with the .html next
// to it. Run `go test ./render/markdown -run TestGolden -update` to accept
// new output after reviewing the diff.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden inputs")
	}
	r := New(stableOptions())
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			out, err := r.Render(string(src))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if err := checkSafe(string(out)); err != nil {
				t.Errorf("golden output violates invariants: %v", err)
			}
			want := strings.TrimSuffix(file, ".md") + ".html"
			if *update {
				if err := os.WriteFile(want, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			expected, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if string(out) != string(expected) {
				t.Errorf("output differs from %s (run with -update after review)\n--- got ---\n%s\n--- want ---\n%s",
					want, out, expected)
			}
		})
	}
}
