package markdown

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/util"
)

// linkAttrs is appended to every emitted <a href="…">.
const linkAttrs = `" rel="noopener noreferrer nofollow" target="_blank">`

// safeURL validates a link destination (already entity- and
// backslash-unescaped by goldmark) and returns the attribute-ready,
// HTML-escaped href. Only absolute http(s) URLs with a host and mailto URLs
// pass; relative and protocol-relative URLs, userinfo ("https://bank@evil"),
// and every other scheme (javascript:, data:, vbscript:, file:, …) fail.
//
// Browsers strip ASCII tab/LF/CR anywhere in a URL and leading/trailing C0
// controls and spaces, so we do the same before looking at the scheme:
// "java\tscript:" is judged as "javascript:". Any other control character
// rejects the URL outright.
func safeURL(dest []byte) (string, bool) {
	s := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, string(dest))
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return "", false
	}
	// Judge the exact string that will be emitted (and that the sanitizer
	// will parse again): the percent-escaped form.
	escaped := string(util.URLEscape([]byte(s), true))
	u, err := url.Parse(escaped)
	if err != nil {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" || u.Opaque != "" || u.User != nil {
			return "", false
		}
	case "mailto":
		if u.Opaque == "" {
			return "", false
		}
	default:
		return "", false
	}
	return string(util.EscapeHTML([]byte(escaped))), true
}

// writeAnchor writes an opening <a> for an href returned by safeURL.
func writeAnchor(w util.BufWriter, href string) {
	_, _ = w.WriteString(`<a href="`)
	_, _ = w.WriteString(href)
	_, _ = w.WriteString(linkAttrs)
}

// insideAnchor reports whether n is nested in a link that renders as <a>;
// nested anchors are invalid HTML and the parser would reshape the page.
func insideAnchor(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		switch p := p.(type) {
		case *ast.Link:
			if _, ok := safeURL(p.Destination); ok {
				return true
			}
		case *ast.AutoLink:
			return true
		}
	}
	return false
}

func (r *nodeRenderer) renderLink(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Link)
	href, ok := safeURL(n.Destination)
	if !ok || insideAnchor(n) {
		return ast.WalkContinue, nil // keep the text, drop the link
	}
	if entering {
		writeAnchor(w, href)
	} else {
		_, _ = w.WriteString("</a>")
	}
	return ast.WalkContinue, nil
}

func (r *nodeRenderer) renderAutoLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.AutoLink)
	dest := n.URL(source)
	if n.AutoLinkType == ast.AutoLinkEmail && !bytes.HasPrefix(bytes.ToLower(dest), []byte("mailto:")) {
		dest = append([]byte("mailto:"), dest...)
	}
	label := util.EscapeHTML(n.Label(source))
	href, ok := safeURL(dest)
	if !ok || insideAnchor(n) {
		_, _ = w.Write(label)
		return ast.WalkContinue, nil
	}
	writeAnchor(w, href)
	_, _ = w.Write(label)
	_, _ = w.WriteString("</a>")
	return ast.WalkContinue, nil
}

// renderImage never emits <img>: fetching a remote image would disclose to
// its host that (and when) the user opened the message. The image becomes a
// link labelled "[image: alt]" the user may choose to follow.
func (r *nodeRenderer) renderImage(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.Image)
	var alt bytes.Buffer
	plainText(&alt, source, n)
	label := "[image]"
	if alt.Len() > 0 {
		label = "[image: " + alt.String() + "]"
	}
	escaped := util.EscapeHTML([]byte(label))
	href, ok := safeURL(n.Destination)
	if !ok || insideAnchor(n) {
		_, _ = w.Write(escaped)
		return ast.WalkSkipChildren, nil
	}
	writeAnchor(w, href)
	_, _ = w.Write(escaped)
	_, _ = w.WriteString("</a>")
	return ast.WalkSkipChildren, nil
}

// plainText appends the unescaped text content of n's descendants to b.
func plainText(b *bytes.Buffer, source []byte, n ast.Node) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Value(source))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.AutoLink:
			b.Write(c.Label(source))
		default:
			plainText(b, source, c)
		}
	}
}
