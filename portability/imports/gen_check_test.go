package imports_test

import (
	"testing"

	"confidant/portability/importer"
)

// The benchmark's generated file is a valid ChatGPT export.
func TestGeneratedExportParses(t *testing.T) {
	f, err := importer.Open(genChatGPT(3, 5), importer.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	n, m, err := f.Count()
	if err != nil || f.Format != importer.FormatChatGPT || n != 3 || m != 15 {
		t.Fatalf("%s: %d conversations, %d messages, %v", f.Format, n, m, err)
	}
}
