package blindindex

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
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

// TestNormalizeASCIIFastPath checks the ASCII shortcut against the full
// Unicode normalisation, on every ASCII character and on the word cases.
func TestNormalizeASCIIFastPath(t *testing.T) {
	full := func(s string) string {
		return norm.NFKC.String(cases.Fold().String(norm.NFKC.String(s)))
	}
	all := make([]byte, 128)
	for i := range all {
		all[i] = byte(i)
	}
	inputs := []string{string(all), "Hello, WORLD! 42 Straße", "[[sim:tokens=20]] How long is the way to the first token?"}
	for _, c := range loadWordCases(t) {
		inputs = append(inputs, c.Text)
	}
	for _, in := range inputs {
		if got, want := Normalize(in), full(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}
