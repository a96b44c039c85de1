package mailtext_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"confidant/connectors"
	"confidant/connectors/mailtext"
)

func TestParse(t *testing.T) {
	tests := []struct {
		file    string
		subject string
		from    string
		to      []string
		text    string
		attach  []string
	}{
		{"plain.eml", "Lunch on Friday?", "Bob Example <bob@example.org>", []string{"Alice <alice@example.com>"}, "Shall we meet at the usual place at noon?\n", nil},
		{"html-attachment.eml", "Menü der Woche", "Café News <news@example.net>", []string{"alice@example.com"}, "Soup of the day: lentils\nDessert: tarte", []string{"menu.pdf"}},
		{"latin1-alternative.eml", "Résumé", "René <rene@example.fr>", []string{"a@example.com", "B, C <b@example.com>"}, "Café à midi", nil},
		{"headers-only.eml", "no body separator", "broken", nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			m, err := mailtext.Parse(raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var names []string
			for _, a := range m.Attachments {
				names = append(names, a.Name)
			}
			if m.Subject != tt.subject || m.From != tt.from || !slices.Equal(m.To, tt.to) || m.Text != tt.text ||
				!slices.Equal(names, tt.attach) || m.Size != int64(len(raw)) {
				t.Errorf("Parse = subject %q from %q to %q text %q attachments %q size %d", m.Subject, m.From, m.To, m.Text, names, m.Size)
			}
		})
	}
}

func TestFromHTML(t *testing.T) {
	for in, want := range map[string]string{
		"<p>One</p><p>Two <b>bold</b></p>":                        "One\nTwo bold",
		"<style>p{}</style><script>alert(1)</script>Visible":      "Visible",
		"Line<br>break &amp; entity":                              "Line\nbreak & entity",
		"<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr>": "ab\nc",
	} {
		if got := mailtext.FromHTML(in); got != want {
			t.Errorf("FromHTML(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestComposeRefusesHeaderInjection(t *testing.T) {
	raw := string(mailtext.Compose("a@example.com", connectors.Draft{To: []string{"b@example.com\r\nBcc: eve@example.net"},
		Subject: "Hi\nX-Evil: 1", Text: "line one\nline two"}, "Mon, 23 Nov 2026 10:00:00 +0000"))
	head, body, _ := strings.Cut(raw, "\r\n\r\n")
	if strings.Contains(head, "\r\nBcc:") || strings.Contains(head, "\r\nX-Evil:") || body != "line one\r\nline two" {
		t.Fatalf("composed %q", raw)
	}
	m, err := mailtext.Parse([]byte(raw))
	if err != nil || m.Subject != "Hi X-Evil: 1" || len(m.To) != 1 || m.Text != "line one\r\nline two" {
		t.Fatalf("round trip: %+v %v", m, err)
	}
}
