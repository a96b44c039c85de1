// Package mailtext has the small mail helpers the OAuth connectors share:
// an HTML body as plain text (Graph sends bodies as JSON, not MIME), an
// address as a person reads it, and a confirmed draft as a raw message.
package mailtext

import (
	"bytes"
	"mime"
	"strings"

	"golang.org/x/net/html"

	"confidant/connectors"
)

// MaxText bounds the text kept of one body.
const MaxText = 256 << 10

// FromHTML returns the visible text of an HTML body: scripts, styles and
// other non-text elements dropped, block elements as lines.
func FromHTML(s string) string {
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		return ""
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
			return
		case html.ElementNode:
			switch n.Data {
			case "script", "style", "noscript", "template", "svg", "head", "iframe", "object":
				return
			case "br":
				b.WriteByte('\n')
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && block(n.Data) {
			b.WriteByte('\n')
		}
	}
	walk(doc)
	var lines []string
	for _, line := range strings.Split(b.String(), "\n") {
		if l := strings.Join(strings.Fields(line), " "); l != "" {
			lines = append(lines, l)
		}
	}
	return truncate(strings.Join(lines, "\n"))
}

func block(name string) bool {
	switch name {
	case "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "hr":
		return true
	}
	return false
}

func truncate(s string) string {
	if len(s) <= MaxText {
		return s
	}
	s = s[:MaxText]
	return strings.ToValidUTF8(s, "")
}

// Compose writes a draft as a raw RFC 5322 message (UTF-8 text, 8bit).
func Compose(from string, d connectors.Draft, date string) []byte {
	var b bytes.Buffer
	oneLine := strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace // no header injection
	header := func(k, v string) {
		v = oneLine(v)
		if v != "" {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	header("From", from)
	header("To", strings.Join(d.To, ", "))
	header("Cc", strings.Join(d.Cc, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(d.Subject)))
	header("Date", date)
	if d.InReplyTo != "" {
		header("In-Reply-To", "<"+d.InReplyTo+">")
		header("References", "<"+d.InReplyTo+">")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(d.Text, "\r\n", "\n"), "\n", "\r\n"))
	return b.Bytes()
}

// Address writes a decoded address as a person reads it: "Name <addr>",
// or the bare address when there is no name.
func Address(name, addr string) string {
	name = strings.TrimSpace(name)
	if name == "" || name == addr {
		return addr
	}
	return name + " <" + addr + ">"
}
