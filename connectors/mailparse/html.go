package mailparse

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// skipped elements' content is never text: code, styles, metadata.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Head: true, atom.Title: true,
	atom.Noscript: true, atom.Template: true, atom.Svg: true, atom.Math: true,
	atom.Iframe: true, atom.Object: true, atom.Select: true,
}

// blocks end a line before and after them.
var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Ul: true, atom.Ol: true,
	atom.Table: true, atom.Tr: true, atom.Blockquote: true, atom.Pre: true,
	atom.Section: true, atom.Article: true, atom.Header: true, atom.Footer: true,
	atom.Hr: true, atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.Address: true,
	atom.Form: true, atom.Fieldset: true, atom.Center: true, atom.Main: true, atom.Nav: true,
}

// htmlToText renders HTML as readable plain text: no markup and nothing
// from scripts or styles; links keep their target as text after the
// link's words; paragraphs and line breaks become newlines.
func htmlToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var out strings.Builder
	skipDepth := 0 // >0 inside a skipped element
	pre := 0
	type link struct {
		href  string
		start int
	}
	var links []link
	newline := func(n int) {
		cur := out.String()
		have := len(cur) - len(strings.TrimRight(cur, "\n"))
		if len(cur) == 0 {
			return
		}
		for ; have < n; have++ {
			out.WriteByte('\n')
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidy(out.String())
		case html.TextToken:
			if skipDepth > 0 {
				continue
			}
			text := string(z.Text())
			if pre == 0 {
				text = collapseSpace(text, out.String())
			}
			out.WriteString(text)
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if skipped[a] {
				if tt == html.StartTagToken {
					skipDepth++
				}
				continue
			}
			if skipDepth > 0 {
				continue
			}
			switch {
			case a == atom.Br:
				out.WriteByte('\n')
			case a == atom.Li:
				newline(1)
				out.WriteString("- ")
			case a == atom.Td || a == atom.Th:
				if cur := out.String(); cur != "" && !strings.HasSuffix(cur, " ") && !strings.HasSuffix(cur, "\n") {
					out.WriteByte(' ')
				}
			case a == atom.Img:
				if alt := attr(z, hasAttr, "alt"); strings.TrimSpace(alt) != "" {
					out.WriteString("[" + strings.TrimSpace(alt) + "]")
				}
			case a == atom.A && tt == html.StartTagToken:
				links = append(links, link{href: attr(z, hasAttr, "href"), start: out.Len()})
			case blocks[a]:
				newline(2)
				if a == atom.Hr {
					out.WriteString("---")
					newline(2)
				}
			}
			if a == atom.Pre && tt == html.StartTagToken {
				pre++
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipped[a] {
				if skipDepth > 0 {
					skipDepth--
				}
				continue
			}
			if skipDepth > 0 {
				continue
			}
			switch {
			case a == atom.A && len(links) > 0:
				l := links[len(links)-1]
				links = links[:len(links)-1]
				words := strings.TrimSpace(out.String()[l.start:])
				if target := linkTarget(l.href); target != "" && target != words && "mailto:"+words != target {
					out.WriteString(" (" + target + ")")
				}
			case a == atom.Pre:
				if pre > 0 {
					pre--
				}
				newline(2)
			case a == atom.Li || a == atom.Tr || a == atom.Dt || a == atom.Dd:
				newline(1)
			case blocks[a]:
				newline(2)
			}
		}
	}
}

func attr(z *html.Tokenizer, more bool, key string) string {
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		if string(k) == key {
			return string(v)
		}
	}
	return ""
}

// linkTarget returns a link's target worth showing: web and mail links
// only, never javascript: or data: URLs.
func linkTarget(href string) string {
	href = strings.TrimSpace(href)
	lower := strings.ToLower(href)
	for _, scheme := range []string{"http://", "https://", "mailto:"} {
		if strings.HasPrefix(lower, scheme) {
			return cleanLine(href)
		}
	}
	return ""
}

// collapseSpace folds runs of white space into one space, dropping a
// leading space where the output already ends in one or at a line start.
func collapseSpace(text, sofar string) string {
	if text == "" {
		return ""
	}
	lead := strings.IndexFunc(text[:1], isSpace) == 0
	trail := strings.IndexFunc(text[len(text)-1:], isSpace) == 0
	words := strings.Fields(text)
	if len(words) == 0 {
		if sofar == "" || strings.HasSuffix(sofar, " ") || strings.HasSuffix(sofar, "\n") {
			return ""
		}
		return " "
	}
	s := strings.Join(words, " ")
	if lead && sofar != "" && !strings.HasSuffix(sofar, " ") && !strings.HasSuffix(sofar, "\n") {
		s = " " + s
	}
	if trail {
		s += " "
	}
	return s
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\u00a0'
}

// tidy trims spaces at line ends and keeps at most one blank line.
func tidy(s string) string {
	lines := strings.Split(cleanText(s), "\n")
	var out []string
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\u00a0")
		if strings.TrimSpace(l) == "" {
			blank++
			if blank > 1 {
				continue
			}
			l = ""
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
