package simbackend

import (
	"crypto/sha256"
	"math/rand/v2"
	"strings"
	"unicode"
)

// Word classes of the pseudo-English answers.
const (
	determiners  = "the a every this that one each"
	adjectives   = "quiet private small careful bright warm honest useful gentle steady patient clever open calm simple"
	nouns        = "model answer secret garden river memory note letter morning window paper story plan idea friend teacher reader door house key"
	verbs        = "keeps reads writes holds finds opens follows shapes carries remembers"
	adverbs      = "slowly gently clearly quietly often always soon"
	prepositions = "near under beside through behind across after before"
)

// splitTokens cuts s into tokens that concatenate back to s: each is a run
// of whitespace followed by a run of non-whitespace.
func splitTokens(s string) []string {
	var toks []string
	start := 0
	inWord := false
	for i, c := range s {
		space := unicode.IsSpace(c)
		if space && inWord {
			toks = append(toks, s[start:i])
			start = i
		}
		inWord = !space
	}
	if start < len(s) {
		toks = append(toks, s[start:])
	}
	return toks
}

// echoOf returns X when msg asks to "say X" or "repeat: X" (optionally
// after "please", X optionally quoted).
func echoOf(msg string) (string, bool) {
	s := strings.TrimSpace(msg)
	if hasPrefixFold(s, "please ") {
		s = strings.TrimSpace(s[len("please "):])
	}
	for _, verb := range []string{"say", "repeat"} {
		if !hasPrefixFold(s, verb) || len(s) == len(verb) {
			continue
		}
		rest := s[len(verb):]
		switch rest[0] {
		case ':', ' ', '\t', '\n':
			rest = strings.TrimSpace(strings.TrimPrefix(rest, ":"))
		default:
			continue
		}
		if x := unquote(rest); x != "" {
			return x, true
		}
	}
	return "", false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// unquote strips one pair of matching quotes around s.
func unquote(s string) string {
	for _, q := range []string{`"`, `'`, "`", "“"} {
		closing := q
		if q == "“" {
			closing = "”"
		}
		if len(s) >= len(q)+len(closing) && strings.HasPrefix(s, q) && strings.HasSuffix(s, closing) {
			return s[len(q) : len(s)-len(closing)]
		}
	}
	return s
}

// generator writes deterministic pseudo-English, as tokens.
type generator struct {
	r     *rand.Rand
	class map[string][]string
	toks  []string
}

// generate returns n tokens of text seeded by prompt. Longer answers
// sometimes carry a markdown list or a fenced code block.
func generate(prompt string, n int) []string {
	g := &generator{
		r: rand.New(rand.NewChaCha8(sha256.Sum256([]byte(prompt)))),
		class: map[string][]string{
			"det": strings.Fields(determiners), "adj": strings.Fields(adjectives), "noun": strings.Fields(nouns),
			"verb": strings.Fields(verbs), "adv": strings.Fields(adverbs), "prep": strings.Fields(prepositions),
		},
	}
	g.sentence(true)
	if n >= 32 {
		switch g.r.IntN(3) {
		case 1:
			g.list()
		case 2:
			g.code()
		}
	}
	for sentences := 0; len(g.toks) < n; sentences++ {
		newPara := sentences > 0 && sentences%3 == 0
		if newPara {
			g.toks = append(g.toks, "\n\n")
		}
		g.sentence(newPara || len(g.toks) == 0 || strings.HasSuffix(g.toks[len(g.toks)-1], "\n"))
	}
	return g.toks[:n]
}

// pick returns a random word of class.
func (g *generator) pick(class string) string {
	words := g.class[class]
	return words[g.r.IntN(len(words))]
}

// word returns a random noun or adjective, for lists and code.
func (g *generator) word() string {
	if g.r.IntN(2) == 0 {
		return g.pick("adj")
	}
	return g.pick("noun")
}

// clause returns the words of "det [adj] noun verb [adv] prep det [adj] noun".
func (g *generator) clause() []string {
	w := []string{g.pick("det")}
	if g.r.IntN(2) == 0 {
		w = append(w, g.pick("adj"))
	}
	w = append(w, g.pick("noun"), g.pick("verb"))
	if g.r.IntN(3) == 0 {
		w = append(w, g.pick("adv"))
	}
	w = append(w, g.pick("prep"), g.pick("det"))
	if g.r.IntN(2) == 0 {
		w = append(w, g.pick("adj"))
	}
	w = append(w, g.pick("noun"))
	for i := range len(w) - 1 {
		if w[i] == "a" && strings.ContainsRune("aeiou", rune(w[i+1][0])) {
			w[i] = "an"
		}
	}
	return w
}

// sentence appends one or two clauses and a full stop; first says whether
// it starts a line (no leading space).
func (g *generator) sentence(first bool) {
	words := g.clause()
	if g.r.IntN(3) == 0 {
		words[len(words)-1] += ","
		words = append(append(words, "and"), g.clause()...)
	}
	for i, w := range words {
		if i == 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
			if !first {
				w = " " + w
			}
		} else {
			w = " " + w
		}
		g.toks = append(g.toks, w)
	}
	g.toks = append(g.toks, ".")
}

// list appends a blank line and a markdown list of 3 or 4 items.
func (g *generator) list() {
	g.toks = append(g.toks, "\n\n")
	for range 3 + g.r.IntN(2) {
		g.toks = append(g.toks, "-")
		for i := range 2 + g.r.IntN(3) {
			w := g.word()
			if i == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			g.toks = append(g.toks, " "+w)
		}
		g.toks = append(g.toks, "\n")
	}
	g.toks = append(g.toks, "\n")
}

// code appends a small fenced code block.
func (g *generator) code() {
	name := g.word()
	if g.r.IntN(2) == 0 {
		g.toks = append(g.toks, "\n\n", "```go", "\n",
			"func", " "+name+"Count", "(n", " int)", " int", " {", "\n",
			"\treturn", " n", " *", " 2", "\n", "}", "\n", "```", "\n\n")
		return
	}
	g.toks = append(g.toks, "\n\n", "```sh", "\n",
		"echo", ` "`+name+`"`, " |", " wc", " -c", "\n", "```", "\n\n")
}
