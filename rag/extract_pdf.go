package rag

import (
	"bytes"
	"errors"
	"strings"

	"github.com/ledongthuc/pdf"
)

// extractPDF reads the text of each page. Password-protected files are
// refused; a file that opens with the empty user password (owner-only
// restrictions) is read.
func extractPDF(data []byte) (blocks []Block, err error) {
	defer recoverCorrupt(&err)
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		return nil, ErrCorrupt
	}
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		if errors.Is(err, pdf.ErrInvalidPassword) || strings.Contains(err.Error(), "encryption") {
			return nil, ErrEncrypted
		}
		return nil, ErrCorrupt
	}
	fonts := map[string]*pdf.Font{}
	size := 0
	for i := 1; i <= r.NumPage(); i++ {
		page := r.Page(i)
		if page.V.IsNull() {
			continue
		}
		for name, f := range pageFonts(page) {
			if _, ok := fonts[name]; !ok {
				fonts[name] = f
			}
		}
		text, err := page.GetPlainText(fonts)
		if err != nil {
			return nil, ErrCorrupt
		}
		size += len(text)
		if size > MaxTextBytes {
			return nil, ErrTooMuchText
		}
		blocks = append(blocks, paragraphs(text)...)
	}
	return blocks, nil
}

// pageFonts returns the fonts a page names, so their character maps are
// parsed once per document.
func pageFonts(p pdf.Page) map[string]*pdf.Font {
	out := map[string]*pdf.Font{}
	for _, name := range p.Fonts() {
		f := p.Font(name)
		out[name] = &f
	}
	return out
}
