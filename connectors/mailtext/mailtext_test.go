package mailtext_test

import (
	"strings"
	"testing"

	"confidant/connectors"
	"confidant/connectors/mailparse"
	"confidant/connectors/mailtext"
)

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
	m := mailparse.Parse([]byte(raw), mailparse.Options{})
	if m.Subject != "Hi X-Evil: 1" || len(m.To) != 1 || !strings.HasPrefix(m.Text, "line one") {
		t.Fatalf("round trip: %+v", m)
	}
}
