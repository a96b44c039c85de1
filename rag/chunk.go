package rag

import (
	"strings"
)

// ChunkOptions sizes chunks in words (a word is close to a token for
// retrieval purposes, and needs no tokenizer).
type ChunkOptions struct {
	MaxWords     int // most words in a chunk
	OverlapWords int // words a chunk repeats from the end of the previous one in the same section
}

// DefaultChunkOptions suit 384-dimension sentence embeddings.
func DefaultChunkOptions() ChunkOptions { return ChunkOptions{MaxWords: 200, OverlapWords: 40} }

// Passage is a chunk of a document before it is embedded: its heading path
// ("Guide > Install > Linux") and its text.
type Passage struct {
	Heading string
	Text    string
}

// Chunk splits extracted blocks into passages along headings: a section
// (the body under one heading path) is never mixed with another; a long
// section is cut into windows of at most MaxWords that overlap by
// OverlapWords, ending at a paragraph break where one is near.
func Chunk(blocks []Block, opt ChunkOptions) []Passage {
	if opt.MaxWords <= 0 {
		opt = DefaultChunkOptions()
	}
	opt.OverlapWords = min(max(opt.OverlapWords, 0), opt.MaxWords/2)
	var out []Passage
	var path []string
	var levels []int
	var section []word
	flush := func() {
		out = append(out, windows(strings.Join(path, " > "), section, opt)...)
		section = nil
	}
	for _, b := range blocks {
		if b.Level > 0 {
			flush()
			for len(levels) > 0 && levels[len(levels)-1] >= b.Level {
				levels, path = levels[:len(levels)-1], path[:len(path)-1]
			}
			levels, path = append(levels, b.Level), append(path, b.Text)
			continue
		}
		for i, w := range strings.Fields(b.Text) {
			section = append(section, word{text: w, startsParagraph: i == 0})
		}
	}
	flush()
	return out
}

type word struct {
	text            string
	startsParagraph bool
}

// windows cuts one section's words into overlapping passages.
func windows(heading string, words []word, opt ChunkOptions) []Passage {
	var out []Passage
	for start := 0; start < len(words); {
		end := min(start+opt.MaxWords, len(words))
		if end < len(words) {
			// Prefer to stop at a paragraph start in the last third.
			for i := end; i > start+opt.MaxWords*2/3; i-- {
				if words[i].startsParagraph {
					end = i
					break
				}
			}
		}
		out = append(out, Passage{Heading: heading, Text: render(words[start:end])})
		if end == len(words) {
			break
		}
		start = max(end-opt.OverlapWords, start+1)
	}
	return out
}

// render joins words, keeping paragraph breaks.
func render(words []word) string {
	var sb strings.Builder
	for i, w := range words {
		switch {
		case i == 0:
		case w.startsParagraph:
			sb.WriteString("\n\n")
		default:
			sb.WriteByte(' ')
		}
		sb.WriteString(w.text)
	}
	return sb.String()
}
