package rag

import (
	"bytes"
	"errors"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"
)

// Document kinds, as store.Document.Kind holds them.
const (
	KindPDF      = "pdf"
	KindDOCX     = "docx"
	KindHTML     = "html"
	KindMarkdown = "markdown"
	KindText     = "text"
	KindCSV      = "csv"
)

// FileError is a problem with one uploaded file, told to its owner: Code
// is stable for clients, Message is a sentence for people. It never holds
// the file's content.
type FileError struct {
	Code    string
	Message string
}

func (e *FileError) Error() string { return e.Message }

// The ways a file is refused. Compare with errors.Is.
var (
	ErrTooLarge    = &FileError{"too_large", "The file is larger than the upload limit."}
	ErrUnsupported = &FileError{"unsupported_type", "This file type is not supported: upload PDF, DOCX, HTML, Markdown, plain text or CSV."}
	ErrEmpty       = &FileError{"empty", "The file has no text in it."}
	ErrNotUTF8     = &FileError{"not_utf8", "The file is not UTF-8 text: save it as UTF-8 and upload it again."}
	ErrCorrupt     = &FileError{"corrupt", "The file is damaged or not what its name says, and could not be read."}
	ErrEncrypted   = &FileError{"encrypted", "The file is password-protected: remove the password and upload it again."}
	ErrZipBomb     = &FileError{"zip_bomb", "The file expands to far more data than it holds, so it was not opened."}
	ErrTooMuchText = &FileError{"too_much_text", "The file holds more text than one document may."}
)

// Limits on what extraction reads.
const (
	// MaxTextBytes is the most extracted text one document may give.
	MaxTextBytes = 8 << 20
	// maxDOCXUncompressed caps the sum of a DOCX archive's entries as read.
	maxDOCXUncompressed = 64 << 20
	// maxDOCXRatio caps how far an entry may expand relative to its
	// compressed size (text XML compresses about 10:1).
	maxDOCXRatio = 200
)

// Block is a unit of extracted text: a heading (Level 1–6) or a paragraph
// of body text (Level 0).
type Block struct {
	Level int
	Text  string
}

// DetectKind names the kind of an uploaded file from its name and first
// bytes, refusing what the contents contradict.
func DetectKind(name string, data []byte) (string, error) {
	sniffed := http.DetectContentType(data)
	switch strings.ToLower(path.Ext(name)) {
	case ".pdf":
		return KindPDF, nil
	case ".docx":
		return KindDOCX, nil
	case ".html", ".htm", ".xhtml":
		return KindHTML, nil
	case ".md", ".markdown":
		return KindMarkdown, nil
	case ".csv":
		return KindCSV, nil
	case ".txt", ".text", "":
		if strings.HasPrefix(sniffed, "text/html") {
			return KindHTML, nil
		}
		if bytes.HasPrefix(data, []byte("%PDF-")) {
			return KindPDF, nil
		}
		return KindText, nil
	}
	return "", ErrUnsupported
}

// Extract returns the text of a file of the given kind as headings and
// paragraphs.
func Extract(kind string, data []byte) ([]Block, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, ErrEmpty
	}
	var blocks []Block
	var err error
	switch kind {
	case KindPDF:
		blocks, err = extractPDF(data)
	case KindDOCX:
		blocks, err = extractDOCX(data)
	case KindHTML:
		blocks, err = extractHTML(data)
	case KindMarkdown, KindText, KindCSV:
		var text string
		if text, err = decodeText(data); err != nil {
			return nil, err
		}
		switch kind {
		case KindMarkdown:
			blocks = markdownBlocks(text)
		case KindCSV:
			blocks, err = csvBlocks(text)
		default:
			blocks = paragraphs(text)
		}
	default:
		return nil, ErrUnsupported
	}
	if err != nil {
		return nil, err
	}
	size := 0
	hasWords := false
	for _, b := range blocks {
		size += len(b.Text)
		hasWords = hasWords || strings.TrimSpace(b.Text) != ""
	}
	if !hasWords {
		return nil, ErrEmpty
	}
	if size > MaxTextBytes {
		return nil, ErrTooMuchText
	}
	return blocks, nil
}

// decodeText returns a text file as UTF-8: UTF-8 as is (without a byte
// order mark), UTF-16 when a byte order mark says so; anything else is
// refused rather than guessed, and so is binary data.
func decodeText(data []byte) (string, error) {
	if bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		out, err := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder().Bytes(data)
		if err != nil || !utf8.Valid(out) {
			return "", ErrNotUTF8
		}
		data = out
	}
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	if !utf8.Valid(data) {
		return "", ErrNotUTF8
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return "", ErrUnsupported
	}
	return string(data), nil
}

// paragraphs splits plain text at blank lines.
func paragraphs(text string) []Block {
	var out []Block
	for _, p := range splitParagraphs(text) {
		out = append(out, Block{Text: p})
	}
	return out
}

func splitParagraphs(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var out []string
	for _, p := range strings.Split(text, "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// markdownBlocks reads ATX headings ("## Title") outside fenced code, and
// paragraphs between them.
func markdownBlocks(text string) []Block {
	var out []Block
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, paragraphs(strings.Join(para, "\n"))...)
			para = nil
		}
	}
	inFence := false
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			inFence = !inFence
			para = append(para, line)
			continue
		}
		if !inFence {
			if level, title, ok := atxHeading(trimmed); ok {
				flush()
				out = append(out, Block{Level: level, Text: title})
				continue
			}
		}
		para = append(para, line)
	}
	flush()
	return out
}

func atxHeading(line string) (int, string, bool) {
	level := 0
	for level < len(line) && line[level] == '#' {
		level++
	}
	if level == 0 || level > 6 || (level < len(line) && line[level] != ' ' && line[level] != '\t') {
		return 0, "", false
	}
	title := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(line[level:]), "#"))
	return level, title, title != ""
}

// recoverCorrupt turns a panic in a parser of untrusted files into
// ErrCorrupt.
func recoverCorrupt(err *error) {
	if r := recover(); r != nil {
		*err = ErrCorrupt
	}
}

// Is lets errors.Is match a wrapped FileError by code.
func (e *FileError) Is(target error) bool {
	var t *FileError
	return errors.As(target, &t) && t.Code == e.Code
}
