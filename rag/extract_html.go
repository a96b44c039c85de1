package rag

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
)

// extractHTML returns an HTML page's visible text: headings h1–h6 as
// headings, block elements as paragraphs; scripts, styles, templates and
// other non-text elements are dropped. The charset comes from the byte
// order mark or the page's meta tag, defaulting to UTF-8 as browsers do.
func extractHTML(data []byte) (blocks []Block, err error) {
	defer recoverCorrupt(&err)
	r, err := charset.NewReader(bytes.NewReader(data), "text/html")
	if err != nil {
		return nil, ErrNotUTF8
	}
	doc, err := html.Parse(r)
	if err != nil {
		return nil, ErrCorrupt
	}
	var text strings.Builder
	flush := func(level int) {
		if s := strings.Join(strings.Fields(text.String()), " "); s != "" {
			blocks = append(blocks, Block{Level: level, Text: s})
		}
		text.Reset()
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			text.WriteString(n.Data)
			return
		case html.ElementNode:
			switch n.Data {
			case "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "head":
				return
			case "h1", "h2", "h3", "h4", "h5", "h6":
				flush(0)
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
				flush(int(n.Data[1] - '0'))
				return
			case "br":
				text.WriteByte(' ')
			}
		}
		block := n.Type == html.ElementNode && htmlBlock(n.Data)
		if block {
			flush(0)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if block {
			flush(0)
		}
		if n.Type == html.ElementNode && (n.Data == "td" || n.Data == "th" || n.Data == "li") {
			text.WriteByte(' ')
		}
	}
	walk(doc)
	flush(0)
	return blocks, nil
}

// htmlBlock reports whether an element ends a paragraph.
func htmlBlock(name string) bool {
	switch name {
	case "p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "blockquote", "pre",
		"ul", "ol", "li", "table", "tr", "dl", "dt", "dd", "figure", "figcaption", "hr", "body", "html":
		return true
	}
	return false
}
