package mailparse

import (
	"bytes"
	"io"
	"regexp"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/textproto"

	"confidant/connectors"
)

// Bounds on hostile structure: nesting depth and parts per message.
const (
	maxDepth = 32
	maxParts = 1000
)

// walker visits a message's MIME tree, collecting text and attachments.
type walker struct {
	text        textBuilder
	attachments []connectors.Attachment
	parts       int
}

// part visits a part with header h and body. decoded says whether body's
// transfer encoding has been removed already.
func (w *walker) part(h message.Header, body io.Reader, depth int, inRelated, decoded bool) {
	w.parts++
	if w.parts > maxParts || depth > maxDepth {
		return
	}
	mediaType, params := contentType(h)
	if strings.HasPrefix(mediaType, "multipart/") {
		// Buffered (the raw message is in memory anyway) to retry with
		// the boundary the parts really use when the declared one is wrong.
		data, _ := io.ReadAll(body)
		boundary := params["boundary"]
		if boundary == "" || !bytes.Contains(data, []byte("--"+boundary)) {
			boundary = sniffBoundary(data)
		}
		if boundary != "" {
			w.multipart(mediaType, textproto.NewMultipartReader(bytes.NewReader(data), boundary), depth)
		}
		return
	}
	if !decoded {
		body = transferDecoded(h, body)
	}
	disposition, dparams := contentDisposition(h)
	name := fileName(params, dparams)
	isText := mediaType == "text/plain" || mediaType == "text/html"
	if isText && disposition != "attachment" && name == "" {
		w.bodyText(mediaType, params["charset"], body)
		return
	}
	if inRelated && name == "" && disposition != "attachment" {
		io.Copy(io.Discard, body) // an embedded image of the HTML body
		return
	}
	n, _ := io.Copy(io.Discard, body)
	w.attachments = append(w.attachments, connectors.Attachment{Name: name, ContentType: mediaType, Size: n})
}

// sniffBoundary returns the boundary of the first line that looks like
// one ("--" and a token), for multipart bodies whose declared boundary
// never occurs.
func sniffBoundary(data []byte) string {
	for _, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimRight(line, "\r \t")
		if len(line) > 2 && len(line) <= 72 && bytes.HasPrefix(line, []byte("--")) && !bytes.ContainsAny(line, " \t") {
			return string(bytes.TrimSuffix(line[2:], []byte("--")))
		}
	}
	return ""
}

// multipart visits the parts of a multipart body. In multipart/alternative
// only one part is the body: the plain text when there is one, else the
// last (richest) readable one; the others' attachments still count.
func (w *walker) multipart(mediaType string, mr *textproto.MultipartReader, depth int) {
	related := mediaType == "multipart/related"
	if mediaType != "multipart/alternative" {
		for {
			p, err := mr.NextPart()
			if err != nil {
				return // end, or a broken boundary: keep what was read
			}
			w.part(message.Header{Header: p.Header}, p, depth+1, related, false)
		}
	}
	var plain, other string
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		sub := &walker{text: textBuilder{max: w.text.max}, parts: w.parts}
		sub.part(message.Header{Header: p.Header}, p, depth+1, false, false)
		w.parts = sub.parts
		w.attachments = append(w.attachments, sub.attachments...)
		t := sub.text.b.String()
		if strings.TrimSpace(t) == "" {
			continue
		}
		mt, _ := contentType(message.Header{Header: p.Header})
		if mt == "text/plain" && plain == "" {
			plain = t
		} else {
			other = t
		}
	}
	if plain != "" {
		w.text.add(plain)
	} else {
		w.text.add(other)
	}
}

// bodyText adds a text/plain or text/html part to the body text.
func (w *walker) bodyText(mediaType, cs string, body io.Reader) {
	// Read a bounded amount: HTML markup and multi-byte charsets take
	// more bytes than the text they yield.
	limit := int64(w.text.max)*4 + 4096
	raw, _ := io.ReadAll(io.LimitReader(body, limit)) // a truncated part keeps what arrived
	io.Copy(io.Discard, body)
	s := decodeCharset(raw, cs)
	if mediaType == "text/html" {
		s = htmlToText(s)
	} else {
		s = cleanText(s)
	}
	w.text.add(s)
}

// decodeCharset converts b from charset cs to UTF-8, best effort: an
// unknown charset, or bytes invalid in the declared one, fall back to
// UTF-8 when valid and windows-1252 otherwise.
func decodeCharset(b []byte, cs string) string {
	cs = strings.ToLower(strings.TrimSpace(cs))
	switch cs {
	case "utf-8", "utf8":
		return strings.ToValidUTF8(string(b), "\uFFFD")
	case "", "us-ascii", "ascii":
		return toUTF8(string(b), "")
	}
	if r, err := charset.Reader(cs, strings.NewReader(string(b))); err == nil {
		if out, err := io.ReadAll(r); err == nil {
			return strings.ToValidUTF8(string(out), "\uFFFD")
		}
	}
	return toUTF8(string(b), "")
}

// transferDecoded removes the part's Content-Transfer-Encoding; an unknown
// encoding leaves the bytes as they are.
func transferDecoded(h message.Header, body io.Reader) io.Reader {
	var only message.Header
	if cte := h.Get("Content-Transfer-Encoding"); cte != "" {
		only.Set("Content-Transfer-Encoding", strings.ToLower(strings.TrimSpace(cte)))
	}
	e, _ := message.New(only, body)
	if e == nil {
		return body
	}
	return e.Body
}

var paramPattern = regexp.MustCompile(`(?i)(boundary|charset|name|filename)\s*=\s*("([^"]*)"|[^;\s]+)`)

// contentType parses Content-Type leniently: a malformed header still
// yields its media type and the parameters that matter here. No header
// means text/plain (RFC 2045).
func contentType(h message.Header) (string, map[string]string) {
	raw := h.Get("Content-Type")
	if strings.TrimSpace(raw) == "" {
		return "text/plain", map[string]string{}
	}
	if t, params, err := h.ContentType(); err == nil {
		return strings.ToLower(t), params
	}
	return lenientParams(raw)
}

func contentDisposition(h message.Header) (string, map[string]string) {
	raw := h.Get("Content-Disposition")
	if strings.TrimSpace(raw) == "" {
		return "", map[string]string{}
	}
	if d, params, err := h.ContentDisposition(); err == nil {
		return strings.ToLower(d), params
	}
	return lenientParams(raw)
}

func lenientParams(raw string) (string, map[string]string) {
	value, _, _ := strings.Cut(raw, ";")
	params := map[string]string{}
	for _, m := range paramPattern.FindAllStringSubmatch(raw, -1) {
		v := m[2]
		if strings.HasPrefix(v, `"`) {
			v = m[3]
		}
		params[strings.ToLower(m[1])] = strings.Trim(v, `"'`)
	}
	return strings.ToLower(strings.TrimSpace(value)), params
}

// fileName is the attachment's decoded name: the disposition's filename
// (RFC 2231 decoded by the parser), else the type's name; RFC 2047 words,
// which many senders put there, are decoded too.
func fileName(typeParams, dispParams map[string]string) string {
	name := dispParams["filename"]
	if name == "" {
		name = typeParams["name"]
	}
	return cleanLine(decodeWords(toUTF8(name, "")))
}

// cleanText normalizes line ends and drops control characters other than
// newlines and tabs.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return '\n'
		case r < 0x20 || r == 0x7f || r == '\uFEFF':
			return -1
		}
		return r
	}, s)
}
