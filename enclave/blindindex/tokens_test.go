package blindindex

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"confidant/enclave/internal/primitive"
)

func TestTokensPinned(t *testing.T) {
	raw, err := os.ReadFile("testdata/tokens.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Key   string `json:"key"`
		Cases []struct {
			Text   string   `json:"text"`
			Tokens []string `json:"tokens"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	key, err := hex.DecodeString(f.Key)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range f.Cases {
		t.Run(tc.Text, func(t *testing.T) {
			got := Tokens(key, tc.Text)
			if len(got) != len(tc.Tokens) {
				t.Fatalf("%d tokens, want %d", len(got), len(tc.Tokens))
			}
			for i, tok := range got {
				if len(tok) != TokenSize || cap(tok) != TokenSize {
					t.Fatalf("token %d has len %d cap %d", i, len(tok), cap(tok))
				}
				if hex.EncodeToString(tok) != tc.Tokens[i] {
					t.Errorf("token %d = %x, want %s", i, tok, tc.Tokens[i])
				}
			}
		})
	}
}

func TestTokensFollowWords(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	for _, tc := range loadWordCases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			got := Tokens(key, tc.Text)
			if len(got) != len(tc.Words) {
				t.Fatalf("%d tokens for %d words", len(got), len(tc.Words))
			}
			for i, w := range tc.Words {
				if !bytes.Equal(got[i], token(key, w)) {
					t.Fatalf("token %d is not the token of %q", i, w)
				}
			}
		})
	}
}

func TestQueryMatchesDocument(t *testing.T) {
	key := bytes.Repeat([]byte{2}, 32)
	doc := Tokens(key, "Meeting notes: the ROADMAP for Q3 is in Köln.")
	has := func(tok []byte) bool {
		for _, d := range doc {
			if bytes.Equal(d, tok) {
				return true
			}
		}
		return false
	}
	tests := []struct {
		name  string
		query string
		want  bool
	}{
		{"single word other case", "roadmap", true},
		{"two words", "köln MEETING", true},
		{"decomposed umlaut", "ko\u0308ln", true},
		{"missing word", "roadmap budget", false},
		{"prefix is not a word", "road", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := QueryTokens(key, tt.query)
			all := len(q) > 0
			for _, tok := range q {
				all = all && has(tok)
			}
			if all != tt.want {
				t.Fatalf("match = %v, want %v", all, tt.want)
			}
		})
	}
}

func TestTokensDependOnKey(t *testing.T) {
	a := Tokens(bytes.Repeat([]byte{1}, 32), "secret")
	b := Tokens(bytes.Repeat([]byte{2}, 32), "secret")
	if bytes.Equal(a[0], b[0]) {
		t.Fatal("two keys gave the same token")
	}
	if Tokens(bytes.Repeat([]byte{1}, 32), " ... ") != nil {
		t.Fatal("text without words should give no tokens")
	}
}

func BenchmarkTokens(b *testing.B) {
	key := bytes.Repeat([]byte{1}, 32)
	text := string(bytes.Repeat([]byte("The quick brown fox jumps over the lazy dog. "), 100))
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Tokens(key, text)
	}
}

// token is the token of one word computed the plain way, one HMAC per
// word, to check the reused HMAC state of Tokens against.
func token(key []byte, word string) []byte {
	return primitive.HMAC(key, []byte(word))[:TokenSize]
}
