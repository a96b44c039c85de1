// Package mailtext turns a raw RFC 5322 message, or an HTML body, into a
// connectors.Mail with plain text; it stands in for connectors/mailparse
// (the IMAP connector's parser) until that lands, behind Parse and
// FromHTML only, so swapping it is a two-line change.
package mailtext

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	_ "github.com/emersion/go-message/charset" // decodes non-UTF-8 charsets
	"github.com/emersion/go-message/mail"
	"golang.org/x/net/html"

	"confidant/connectors"
)

// MaxText bounds the text kept of one message.
const MaxText = 256 << 10

// Parse reads a raw message: headers decoded, the first text/plain part
// (else text/html turned to text) as Text, attachments listed. Resource,
// Folder and Flags are left for the caller.
func Parse(raw []byte) (connectors.Mail, error) {
	m := connectors.Mail{Size: int64(len(raw))}
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if r == nil {
		return m, fmt.Errorf("parse message: %w", err)
	}
	defer r.Close()
	h := r.Header
	if from, err := h.AddressList("From"); err == nil && len(from) > 0 {
		m.From = Address(from[0].Name, from[0].Address)
	} else {
		m.From, _ = h.Text("From")
	}
	m.To = addresses(h, "To")
	m.Cc = addresses(h, "Cc")
	m.Subject, _ = h.Subject()
	m.Date, _ = h.Date()
	if ids, err := h.MsgIDList("Message-Id"); err == nil && len(ids) > 0 {
		m.MessageID = ids[0]
	}
	var plain, htmlText string
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if plain == "" && htmlText == "" {
				return m, fmt.Errorf("parse message body: %w", err)
			}
			break // keep what was read of a truncated message
		}
		switch ph := p.Header.(type) {
		case *mail.InlineHeader:
			ct, _, _ := ph.ContentType()
			body, _ := io.ReadAll(io.LimitReader(p.Body, MaxText))
			switch {
			case ct == "text/plain" && plain == "":
				plain = string(body)
			case ct == "text/html" && htmlText == "":
				htmlText = FromHTML(string(body))
			}
		case *mail.AttachmentHeader:
			name, _ := ph.Filename()
			ct, _, _ := ph.ContentType()
			n, _ := io.Copy(io.Discard, p.Body)
			m.Attachments = append(m.Attachments, connectors.Attachment{Name: name, ContentType: ct, Size: n})
		}
	}
	m.Text = plain
	if strings.TrimSpace(m.Text) == "" {
		m.Text = htmlText
	}
	m.Text = truncate(strings.ToValidUTF8(m.Text, "\uFFFD"))
	return m, nil
}

func addresses(h mail.Header, key string) []string {
	list, err := h.AddressList(key)
	if err != nil {
		if v, _ := h.Text(key); v != "" {
			return []string{v}
		}
		return nil
	}
	out := make([]string, 0, len(list))
	for _, a := range list {
		out = append(out, Address(a.Name, a.Address))
	}
	return out
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
