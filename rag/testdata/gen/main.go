// Command gen writes the small files rag's tests ingest into
// rag/testdata/files. Run from the rag directory: go run ./testdata/gen
package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	dir := filepath.Join("testdata", "files")
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	write("report.pdf", pdf([]string{
		"Quarterly report. Revenue grew twelve percent in the third quarter.",
		"Outlook. The board expects steady growth in the northern region.",
	}, ""))
	write("encrypted.pdf", pdf([]string{"Secret plans."}, "/Encrypt << /Filter /Standard /V 1 /R 2 /Length 40 /O ("+strings.Repeat("O", 32)+") /U ("+strings.Repeat("U", 32)+") /P 0 >> /ID [("+strings.Repeat("I", 16)+")]"))
	write("corrupt.pdf", []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\nthis is not a pdf body\n%%EOF\n"))
	write("notes.docx", docx(`<w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr><w:r><w:t>Travel notes</w:t></w:r></w:p>`+
		`<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Lisbon</w:t></w:r></w:p>`+
		`<w:p><w:r><w:t xml:space="preserve">The tram </w:t></w:r><w:r><w:t>number 28 climbs to the castle.</w:t></w:r></w:p>`+
		`<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Porto</w:t></w:r></w:p>`+
		`<w:p><w:r><w:t>Port wine cellars line the river bank.</w:t></w:r></w:p>`, 0))
	write("bomb.docx", docx(`<w:p><w:r><w:t>boom</w:t></w:r></w:p>`, 8<<20))
	write("encrypted.docx", append([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), bytes.Repeat([]byte{0}, 504)...))
}

// pdf builds a minimal PDF with one page per text, in Helvetica, with a
// correct cross-reference table; extra goes into the trailer.
func pdf(pages []string, extra string) []byte {
	var objs []string
	objs = append(objs, "<< /Type /Catalog /Pages 2 0 R >>")
	kids := ""
	for i := range pages {
		kids += fmt.Sprintf("%d 0 R ", 4+2*i)
	}
	objs = append(objs, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids, len(pages)))
	objs = append(objs, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	for i, text := range pages {
		objs = append(objs, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i))
		stream := fmt.Sprintf("BT /F1 12 Tf 72 720 Td (%s) Tj ET", text)
		objs = append(objs, fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream))
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, extra, xref)
	return b.Bytes()
}

// docx builds a minimal WordprocessingML package around body; padding adds
// that many spaces inside the document, which compress to almost nothing.
func docx(body string, padding int) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	add := func(name, content string) {
		w, err := zw.Create(name)
		if err != nil {
			log.Fatal(err)
		}
		if _, err := w.Write([]byte(content)); err != nil {
			log.Fatal(err)
		}
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`)
	add("word/document.xml", `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`+body+strings.Repeat(" ", padding)+`</w:body></w:document>`)
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}
