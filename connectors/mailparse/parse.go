// Package mailparse turns one raw RFC 5322 message into a connectors.Mail:
// decoded headers, a bounded plain-text body and the list of attachments,
// on a best-effort basis that never fails on malformed input.
package mailparse

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	netmail "net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
	"golang.org/x/text/encoding/charmap"

	"confidant/connectors"
)

// DefaultMaxText is the body text kept when Options.MaxText is zero.
const DefaultMaxText = 256 << 10

// maxHeaderBytes bounds a message's header block.
const maxHeaderBytes = 1 << 20

// Options tune Parse.
type Options struct {
	// MaxText bounds the body text in bytes; a longer text is cut at a
	// character boundary and ends with a marker. 0 means DefaultMaxText.
	MaxText int
	// Partial says raw is only the beginning of a longer message (a bounded
	// fetch): the text then ends with a marker saying so.
	Partial bool
}

// Markers appended to a text that is not the whole body.
const (
	MarkerCut     = "[… text cut: the message is longer than Confidant keeps]"
	MarkerPartial = "[… only the beginning of this large message was fetched]"
)

// Parse reads raw and returns what it could decode. Resource, Folder and
// Flags are left for the caller; Size is len(raw). It never fails: a
// malformed message yields whatever headers and text could be recovered,
// and one that cannot be parsed at all yields an empty body.
func Parse(raw []byte, opts Options) (m connectors.Mail) {
	if opts.MaxText <= 0 {
		opts.MaxText = DefaultMaxText
	}
	m.Size = int64(len(raw))
	defer func() {
		// go-message on hostile input is outside our control: keep what
		// was decoded so far rather than fail the sync.
		if recover() != nil {
			m.Text = ""
			m.Attachments = nil
		}
	}()

	header, body := readHeader(raw)
	fallback := headerCharset(header)
	h := mail.Header{Header: header}
	m.MessageID = messageID(h)
	m.Subject = cleanLine(decodeText(h, "Subject", fallback))
	m.From = first(addresses(h, "From", fallback))
	m.To = addresses(h, "To", fallback)
	m.Cc = addresses(h, "Cc", fallback)
	if d, err := h.Date(); err == nil {
		m.Date = d.UTC()
	}

	w := &walker{text: textBuilder{max: opts.MaxText}}
	w.part(header, body, 0, false, false)
	m.Text = w.text.String()
	if opts.Partial {
		m.Text = appendMarker(m.Text, MarkerPartial)
	}
	m.Attachments = w.attachments
	return m
}

// readHeader splits raw into its header and body. A header that the strict
// parser refuses is read leniently, line by line, skipping what is not a
// field.
func readHeader(raw []byte) (message.Header, io.Reader) {
	src := bytes.NewReader(raw)
	br := bufio.NewReader(io.LimitReader(src, maxHeaderBytes))
	if h, err := textproto.ReadHeader(br); err == nil {
		consumed := len(raw) - src.Len() - br.Buffered()
		return message.Header{Header: h}, bytes.NewReader(raw[consumed:])
	}
	var h textproto.Header
	head, body := raw, []byte(nil)
	for _, sep := range []string{"\r\n\r\n", "\n\n"} {
		if i := bytes.Index(raw, []byte(sep)); i >= 0 && (body == nil || i < len(head)) {
			head, body = raw[:i], raw[i+len(sep):]
		}
	}
	if len(head) > maxHeaderBytes {
		head = head[:maxHeaderBytes]
	}
	var key, value string
	flush := func() {
		if key != "" {
			h.Add(key, strings.TrimSpace(value))
		}
		key, value = "", ""
	}
	for _, line := range strings.Split(strings.ReplaceAll(string(head), "\r\n", "\n"), "\n") {
		if line != "" && (line[0] == ' ' || line[0] == '\t') {
			if key != "" {
				value += " " + strings.TrimSpace(line)
			}
			continue
		}
		flush()
		k, v, ok := strings.Cut(line, ":")
		if ok && validKey(k) {
			key, value = k, v
		}
	}
	flush()
	return message.Header{Header: h}, bytes.NewReader(body)
}

func validKey(k string) bool {
	if k == "" || len(k) > 76 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// headerCharset guesses the charset of raw 8-bit header bytes from the
// top-level Content-Type; most such senders use their body's charset.
func headerCharset(h message.Header) string {
	_, params, err := h.ContentType()
	if err != nil {
		return ""
	}
	return params["charset"]
}

// decodeText returns a header field as UTF-8 text: raw 8-bit bytes read
// in the fallback charset, then RFC 2047 words decoded.
func decodeText(h mail.Header, key, fallback string) string {
	return decodeWords(toUTF8(h.Get(key), fallback))
}

func decodeWords(s string) string {
	dec := mime.WordDecoder{CharsetReader: lenientCharset}
	if d, err := dec.DecodeHeader(s); err == nil {
		return toUTF8(d, "")
	}
	return s
}

// lenientCharset reads a known charset; an unknown one passes the bytes
// through, to be checked as UTF-8 afterwards.
func lenientCharset(cs string, r io.Reader) (io.Reader, error) {
	if dr, err := charset.Reader(cs, r); err == nil {
		return dr, nil
	}
	return r, nil
}

func messageID(h mail.Header) string {
	if id, err := h.MessageID(); err == nil && id != "" {
		return id
	}
	id := strings.TrimSpace(h.Get("Message-Id"))
	return cleanLine(strings.Trim(id, "<>"))
}

// addresses formats an address header as "Name <addr>" entries; a header
// that does not parse as addresses is kept as one decoded string.
func addresses(h mail.Header, key, fallback string) []string {
	if h.Get(key) == "" {
		return nil
	}
	parser := netmail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: lenientCharset}}
	list, err := parser.ParseList(toUTF8(h.Get(key), fallback))
	if err != nil || len(list) == 0 {
		if v := cleanLine(decodeText(h, key, fallback)); v != "" {
			return []string{v}
		}
		return nil
	}
	out := make([]string, 0, len(list))
	for _, a := range list {
		name := cleanLine(toUTF8(a.Name, ""))
		addr := cleanLine(a.Address)
		switch {
		case name == "" || name == addr:
			out = append(out, addr)
		default:
			out = append(out, name+" <"+addr+">")
		}
	}
	return out
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return strings.Join(s, ", ")
}

// toUTF8 returns s as valid UTF-8: already valid text is kept; other bytes
// are read in charset cs when known, else as windows-1252, the usual
// mislabelled charset.
func toUTF8(s, cs string) string {
	if utf8.ValidString(s) {
		return s
	}
	if cs != "" && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
		if r, err := charset.Reader(cs, strings.NewReader(s)); err == nil {
			if b, err := io.ReadAll(r); err == nil && utf8.Valid(b) {
				return string(b)
			}
		}
	}
	b, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return b
}

// cleanLine makes a header value one line of printable text.
func cleanLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\uFEFF' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// appendMarker ends text with a marker on its own paragraph.
func appendMarker(text, marker string) string {
	if text == "" {
		return marker
	}
	return strings.TrimRight(text, "\n") + "\n\n" + marker
}

// textBuilder collects body text up to max bytes.
type textBuilder struct {
	b   strings.Builder
	max int
	cut bool
}

// full reports whether no more text fits.
func (t *textBuilder) full() bool { return t.cut }

// add appends a paragraph of text, cutting it at a character boundary when
// the bound is reached.
func (t *textBuilder) add(s string) {
	s = strings.TrimSpace(s)
	if s == "" || t.cut {
		return
	}
	if t.b.Len() > 0 {
		s = "\n\n" + s
	}
	if room := t.max - t.b.Len(); len(s) > room {
		for room > 0 && !utf8.RuneStart(s[room]) {
			room--
		}
		s = s[:max(room, 0)]
		t.cut = true
	}
	t.b.WriteString(s)
}

func (t *textBuilder) String() string {
	if t.cut {
		return appendMarker(t.b.String(), MarkerCut)
	}
	return t.b.String()
}
