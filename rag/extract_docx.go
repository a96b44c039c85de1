package rag

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
)

// oleMagic starts a Compound File: how Office stores a password-protected
// DOCX (the encrypted package inside an OLE container).
const oleMagic = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"

// extractDOCX reads word/document.xml's paragraphs, taking Heading N and
// Title styles as headings. It refuses archives that would expand past
// maxDOCXUncompressed or by more than maxDOCXRatio, as declared or as
// actually read.
func extractDOCX(data []byte) (blocks []Block, err error) {
	defer recoverCorrupt(&err)
	if bytes.HasPrefix(data, []byte(oleMagic)) {
		return nil, ErrEncrypted
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, ErrCorrupt
	}
	var total uint64
	var doc *zip.File
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > maxDOCXUncompressed || f.UncompressedSize64 > maxDOCXRatio*max(f.CompressedSize64, 1024) {
			return nil, ErrZipBomb
		}
		if f.Name == "word/document.xml" {
			doc = f
		}
	}
	if doc == nil {
		return nil, ErrCorrupt
	}
	rc, err := doc.Open()
	if err != nil {
		return nil, ErrCorrupt
	}
	defer rc.Close()
	// The declared sizes may lie: cap what is actually inflated too.
	limit := min(uint64(maxDOCXUncompressed), maxDOCXRatio*max(doc.CompressedSize64, 1024))
	lr := &limitedReader{r: rc, left: int64(limit)}
	blocks, err = docxParagraphs(lr)
	if lr.exceeded {
		return nil, ErrZipBomb
	}
	if err != nil {
		return nil, ErrCorrupt
	}
	return blocks, nil
}

// limitedReader is io.LimitReader that remembers running past the limit.
type limitedReader struct {
	r        io.Reader
	left     int64
	exceeded bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		l.exceeded = true
		return 0, errors.New("limit exceeded")
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// docxParagraphs walks WordprocessingML: w:p paragraphs, their w:pStyle,
// and text runs (w:t), with tabs and breaks as spaces.
func docxParagraphs(r io.Reader) ([]Block, error) {
	dec := xml.NewDecoder(r)
	var out []Block
	var text strings.Builder
	level, inPara, inText := 0, false, false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "p":
				inPara, level = true, 0
				text.Reset()
			case "pStyle":
				level = headingLevel(attr(t, "val"))
			case "t":
				inText = true
			case "tab", "br", "cr":
				text.WriteByte(' ')
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				if inPara {
					if s := strings.Join(strings.Fields(text.String()), " "); s != "" {
						out = append(out, Block{Level: level, Text: s})
					}
				}
				inPara = false
			}
		case xml.CharData:
			if inText {
				text.Write(t)
			}
		}
	}
}

func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// headingLevel maps a paragraph style id to a heading level: "Title" is 1
// and "Heading N" is N+1, since a title stands above a document's
// sections; other styles are body text.
func headingLevel(style string) int {
	s := strings.ToLower(strings.ReplaceAll(style, " ", ""))
	if s == "title" {
		return 1
	}
	if n, ok := strings.CutPrefix(s, "heading"); ok {
		if level, err := strconv.Atoi(n); err == nil && level >= 1 && level <= 9 {
			return min(level+1, 6)
		}
	}
	return 0
}
