package mailparse

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"confidant/connectors"
)

var update = flag.Bool("update", false, "rewrite the .golden.json files from the parser's output")

// TestParseGolden parses every testdata/*.eml and compares the whole
// result with its reviewed .golden.json.
func TestParseGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(Parse(raw, Options{}), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(file, ".eml") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it, then review it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Parse(%s) differs from %s:\ngot:\n%s\nwant:\n%s", file, golden, got, want)
			}
		})
	}
}

// TestParseProperties states the properties each corpus file exists for,
// independent of the golden files.
func TestParseProperties(t *testing.T) {
	tests := []struct {
		file        string
		subject     string
		from        string
		contains    []string
		notContains []string
		attachments []connectors.Attachment
	}{
		{
			file: "alternative.eml", subject: "Café on Friday ☕", from: "José García <jose@example.org>",
			contains:    []string{"Shall we meet at the café at 10?", "See you, José"},
			notContains: []string{"HTML", "<p>"},
		},
		{
			file: "html-only.eml", subject: "Weekly digest",
			contains:    []string{"This week", "Prices € 10 & more here.", "- First story (https://example.com/one)", "- Second click", "Line one\nLine two", "[logo]", "a b"},
			notContains: []string{"<", "alert", "steal", "color", "Digest title", "javascript", "enable js", "a comment"},
		},
		{
			file: "nested.eml", subject: "Report attached",
			contains:    []string{"Here is the report with a chart:"},
			notContains: []string{"preamble", "epilogue", "a text attachment", "inner", "PNG"},
			attachments: []connectors.Attachment{
				{Name: "Résumé 2025.pdf", ContentType: "application/pdf", Size: 480},
				{Name: "für dich.txt", ContentType: "text/plain", Size: 27},
				{Name: "fwd.eml", ContentType: "message/rfc822", Size: 48},
			},
		},
		{
			file: "latin1.eml", subject: "Grüße und Äpfel", from: "Jürgen Müller <juergen@example.de>",
			contains: []string{"Grüße aus München, à bientôt.", "Zweite Zeile mit Ä."},
		},
		{
			file: "shiftjis.eml", subject: "会議の件", from: "山田 <yamada@example.jp>",
			contains: []string{"こんにちは、アリスさん。会議は明日です。"},
		},
		{
			file: "gbk-koi8.eml", subject: "报告", from: "王伟 <wang@example.cn>",
			contains: []string{"你好，爱丽丝。附件是报告。", "Привет, Алиса! Встреча завтра.", "Windows-1251: Добрый день"},
		},
		{
			file: "unknown-charset.eml", subject: "odd header", from: "someone@example.org",
			contains: []string{"plain ascii text and café in utf-8"},
		},
		{file: "bad-boundary.eml", subject: "broken boundaries", contains: []string{"this part uses a boundary that was never declared"}, notContains: []string{"--other", "Content-Type"}},
		{
			file: "missing-final-boundary.eml", subject: "no closing boundary",
			contains:    []string{"first part survives"},
			attachments: []connectors.Attachment{{Name: "cut.bin", ContentType: "application/octet-stream", Size: 48}},
		},
		{
			file: "malformed-header.eml", subject: "survives", from: "Eve <eve@example.org>",
			contains: []string{"body after a malformed header  with a NUL"},
		},
		{file: "no-mime.eml", subject: "plain old mail", contains: []string{"Just text,\nno MIME at all."}},
		{file: "headers-only.eml", subject: "headers only", from: "only@example.org"},
		{file: "binary-junk.eml"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			m := Parse(raw, Options{})
			if m.Size != int64(len(raw)) {
				t.Errorf("Size = %d, want %d", m.Size, len(raw))
			}
			if m.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.subject)
			}
			if tt.from != "" && m.From != tt.from {
				t.Errorf("From = %q, want %q", m.From, tt.from)
			}
			for _, s := range tt.contains {
				if !strings.Contains(m.Text, s) {
					t.Errorf("Text lacks %q:\n%s", s, m.Text)
				}
			}
			for _, s := range tt.notContains {
				if strings.Contains(m.Text, s) {
					t.Errorf("Text has %q:\n%s", s, m.Text)
				}
			}
			if len(m.Attachments) != len(tt.attachments) {
				t.Fatalf("Attachments = %+v, want %+v", m.Attachments, tt.attachments)
			}
			for i, a := range tt.attachments {
				if m.Attachments[i] != a {
					t.Errorf("Attachment %d = %+v, want %+v", i, m.Attachments[i], a)
				}
			}
			checkValid(t, m)
		})
	}
}

// TestParseCapsText cuts a huge body at the bound, on a character
// boundary, with the marker; a partial fetch says so too.
func TestParseCapsText(t *testing.T) {
	line := strings.Repeat("ü", 40) + "\n"
	raw := []byte("Subject: huge\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + strings.Repeat(line, 50000))
	for _, tt := range []struct {
		name    string
		opts    Options
		max     int
		markers []string
	}{
		{"default bound", Options{}, DefaultMaxText, []string{MarkerCut}},
		{"small bound", Options{MaxText: 1001}, 1001, []string{MarkerCut}},
		{"partial fetch", Options{MaxText: 1000, Partial: true}, 1000, []string{MarkerCut, MarkerPartial}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := Parse(raw, tt.opts)
			body := m.Text
			for _, marker := range tt.markers {
				if !strings.Contains(m.Text, marker) {
					t.Errorf("no marker %q", marker)
				}
				body = strings.ReplaceAll(body, marker, "")
			}
			body = strings.TrimSpace(body)
			if len(body) > tt.max || len(body) < tt.max-2 {
				t.Errorf("body text is %d bytes, want at most %d and close to it", len(body), tt.max)
			}
			checkValid(t, m)
		})
	}
	small := Parse([]byte("Subject: s\r\n\r\nshort"), Options{Partial: true})
	if small.Text != "short\n\n"+MarkerPartial {
		t.Errorf("partial short text = %q", small.Text)
	}
}

// TestParseLongMessage checks the body starts where the header ends in a
// message longer than the reader's buffer.
func TestParseLongMessage(t *testing.T) {
	header := "Subject: long\r\nX-Filler: " + strings.Repeat("x", 5000) + "\r\n\r\n"
	raw := []byte(header + "BODYSTART " + strings.Repeat("word ", 5000))
	m := Parse(raw, Options{})
	if !strings.HasPrefix(m.Text, "BODYSTART word") || m.Subject != "long" {
		t.Errorf("subject %q, text starts %q", m.Subject, m.Text[:min(40, len(m.Text))])
	}
}

func checkValid(t *testing.T, m connectors.Mail) {
	t.Helper()
	for _, s := range append([]string{m.Text, m.Subject, m.From, m.MessageID}, append(m.To, m.Cc...)...) {
		if !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8: %q", s)
		}
	}
	for _, a := range m.Attachments {
		if !utf8.ValidString(a.Name) {
			t.Errorf("invalid UTF-8 attachment name %q", a.Name)
		}
	}
}

// FuzzParse feeds arbitrary bytes: Parse must neither panic nor return
// invalid UTF-8 or more text than its bound.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := Parse(raw, Options{MaxText: 512})
		checkValid(t, m)
		if len(m.Text) > 512+len(MarkerCut)+2 {
			t.Errorf("text of %d bytes exceeds the bound", len(m.Text))
		}
	})
}
