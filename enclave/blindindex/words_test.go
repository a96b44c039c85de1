package blindindex

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

type wordCase struct {
	Name  string   `json:"name"`
	Text  string   `json:"text"`
	Words []string `json:"words"`
}

func loadWordCases(t *testing.T) []wordCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/words.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []wordCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f.Cases
}

func TestWords(t *testing.T) {
	for _, tc := range loadWordCases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			got := Words(tc.Text)
			if len(got) == 0 && len(tc.Words) == 0 {
				return
			}
			if !slices.Equal(got, tc.Words) {
				t.Fatalf("Words(%q) = %q, want %q", tc.Text, got, tc.Words)
			}
		})
	}
}
