package rag

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExtract(t *testing.T) {
	tests := []struct {
		file     string
		wantKind string
		want     []Block // nil: check only wantErr
		contains string
		wantErr  error
	}{
		{file: "guide.md", wantKind: KindMarkdown, want: []Block{
			{1, "Garden guide"}, {0, "Plants need light, water and patience."},
			{2, "Tomatoes"}, {0, "Tomatoes want full sun and deep watering twice a week."}, {0, "``` # not a heading: a comment in code ```"},
			{2, "Basil"}, {0, "Basil grows well next to tomatoes and keeps pests away."},
		}},
		{file: "page.html", wantKind: KindHTML, want: []Block{
			{1, "Recipes"}, {0, "Bread needs flour, water, salt and yeast."}, {2, "Sourdough"}, {0, "Feed the starter the night before baking."},
		}},
		{file: "notes.docx", wantKind: KindDOCX, want: []Block{
			{1, "Travel notes"}, {2, "Lisbon"}, {0, "The tram number 28 climbs to the castle."}, {2, "Porto"}, {0, "Port wine cellars line the river bank."},
		}},
		{file: "plain.txt", wantKind: KindText, want: []Block{{0, "A plain note about the dentist appointment on Tuesday."}, {0, "Bring the insurance card."}}},
		{file: "utf16.txt", wantKind: KindText, want: []Block{{0, "Hi UTF-16"}}},
		{file: "table.csv", wantKind: KindCSV, want: []Block{{0, "name: Ada Lovelace; born: 1815; field: mathematics"}, {0, "name: Alan Turing; born: 1912; field: computing"}}},
		{file: "report.pdf", wantKind: KindPDF, contains: "Revenue grew twelve percent"},
		{file: "encrypted.pdf", wantKind: KindPDF, wantErr: ErrEncrypted},
		{file: "corrupt.pdf", wantKind: KindPDF, wantErr: ErrCorrupt},
		{file: "bomb.docx", wantKind: KindDOCX, wantErr: ErrZipBomb},
		{file: "encrypted.docx", wantKind: KindDOCX, wantErr: ErrEncrypted},
		{file: "latin1.txt", wantKind: KindText, wantErr: ErrNotUTF8},
		{file: "empty.txt", wantKind: KindText, wantErr: ErrEmpty},
		{file: "blank.txt", wantKind: KindText, wantErr: ErrEmpty},
		{file: "image.png", wantErr: ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "files", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			kind, err := DetectKind(tc.file, data)
			if err == nil {
				if kind != tc.wantKind {
					t.Fatalf("kind %q, want %q", kind, tc.wantKind)
				}
				var blocks []Block
				blocks, err = Extract(kind, data)
				if tc.want != nil && !equalBlocks(blocks, tc.want) {
					t.Fatalf("blocks\n%+v\nwant\n%+v", blocks, tc.want)
				}
				if tc.contains != "" && !strings.Contains(joinBlocks(blocks), tc.contains) {
					t.Fatalf("text %q does not contain %q", joinBlocks(blocks), tc.contains)
				}
			}
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func equalBlocks(a, b []Block) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func joinBlocks(blocks []Block) string {
	var parts []string
	for _, b := range blocks {
		parts = append(parts, b.Text)
	}
	return strings.Join(parts, "\n")
}

func TestChunk(t *testing.T) {
	words := func(prefix string, n int) string {
		var w []string
		for i := range n {
			w = append(w, prefix+string(rune('a'+i%26)))
		}
		return strings.Join(w, " ")
	}
	blocks := []Block{
		{0, "Preface text."},
		{1, "Guide"},
		{2, "Install"},
		{0, words("x", 30)},
		{0, words("y", 30)},
		{2, "Use"},
		{0, "Short."},
		{1, "Appendix"},
		{0, "End."},
	}
	got := Chunk(blocks, ChunkOptions{MaxWords: 40, OverlapWords: 10})
	var headings []string
	for _, p := range got {
		headings = append(headings, p.Heading)
	}
	want := []string{"", "Guide > Install", "Guide > Install", "Guide > Use", "Appendix"}
	if strings.Join(headings, "|") != strings.Join(want, "|") {
		t.Fatalf("headings %q, want %q", headings, want)
	}
	// The long section breaks at the paragraph start (word 30 is within
	// the last third of 40), and the next window overlaps by 10 words.
	first, second := strings.Fields(got[1].Text), strings.Fields(got[2].Text)
	if len(first) != 30 || !strings.Contains(got[1].Text, "xd") || strings.Contains(got[1].Text, "ya") {
		t.Fatalf("first window: %q", got[1].Text)
	}
	if strings.Join(second[:10], " ") != strings.Join(first[20:], " ") || len(second) != 40 {
		t.Fatalf("second window does not overlap the first by 10 words: %q", got[2].Text)
	}
	if !strings.Contains(got[2].Text, "\n\nya") {
		t.Fatalf("paragraph break lost: %q", got[2].Text)
	}
}
