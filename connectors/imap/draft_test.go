package imap

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"confidant/connectors"
	"confidant/connectors/mailparse"
	"confidant/internal/testmail"
)

// TestSaveDraft appends a confirmed draft to the \Drafts folder, flagged
// \Draft, as a well-formed UTF-8 message that answers the original; the
// sync then leaves it out.
func TestSaveDraft(t *testing.T) {
	srv := startServer(t, testmail.IMAPOptions{})
	s := newTestSource(t, srv.Addr(), testPassword)
	d := connectors.Draft{
		To:        []string{"Bob Müller <bob@example.org>"},
		Cc:        []string{"carol@example.org, dave@example.org"},
		Subject:   "Re: Café ☕ on Friday\r\nBcc: evil@example.com",
		Text:      "Gern!\nBis Freitag — Alice\n",
		InReplyTo: "<orig-42@example.org>",
	}
	res, err := s.SaveDraft(context.Background(), d)
	if err != nil {
		t.Fatalf("SaveDraft: %v", err)
	}
	if !strings.HasPrefix(res, "Drafts/") {
		t.Fatalf("resource %q, want one in Drafts", res)
	}

	c := srv.Login(t, testUser, testPassword)
	raw, flags := fetchOnly(t, c, "Drafts")
	if !slices.Contains(flags, imap.FlagDraft) {
		t.Errorf("flags %v, want \\Draft", flags)
	}
	m := mailparse.Parse(raw, mailparse.Options{})
	if m.Subject != "Re: Café ☕ on Friday Bcc: evil@example.com" {
		t.Errorf("subject %q: one line, decoded", m.Subject)
	}
	if m.Text != "Gern!\nBis Freitag — Alice" {
		t.Errorf("text %q", m.Text)
	}
	if !slices.Equal(m.To, []string{"Bob Müller <bob@example.org>"}) || !slices.Equal(m.Cc, []string{"carol@example.org", "dave@example.org"}) {
		t.Errorf("to %v cc %v", m.To, m.Cc)
	}
	if m.From != testUser+"@127.0.0.1" {
		t.Errorf("from %q", m.From)
	}
	head := string(raw[:strings.Index(string(raw), "\r\n\r\n")])
	for _, want := range []string{"In-Reply-To: <orig-42@example.org>", "References: <orig-42@example.org>", "Subject: =?utf-8?", "Content-Type: text/plain; charset=utf-8", "Message-Id: <"} {
		if !strings.Contains(head, want) {
			t.Errorf("header lacks %q:\n%s", want, head)
		}
	}
	if strings.Contains(head, "\r\nBcc:") {
		t.Errorf("header injection:\n%s", head)
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line of %d bytes", len(line))
		}
	}

	// Drafts are not synced.
	rec := syncOnce(t, s, nil)
	if n := len(rec.mails()); n != 0 {
		t.Errorf("sync delivered %d mails, drafts are skipped", n)
	}
}

// TestSaveDraftCreatesFolder uses "Drafts", created once, when no folder is
// marked \Drafts.
func TestSaveDraftCreatesFolder(t *testing.T) {
	srv := startServer(t, testmail.IMAPOptions{NoSpecialFolders: true})
	s := newTestSource(t, srv.Addr(), testPassword)
	for i := 0; i < 2; i++ {
		res, err := s.SaveDraft(context.Background(), connectors.Draft{To: []string{"bob@example.org"}, Subject: "hi", Text: "x"})
		if err != nil {
			t.Fatalf("SaveDraft %d: %v", i, err)
		}
		if !strings.HasPrefix(res, "Drafts/") || !strings.HasSuffix(res, []string{"/1", "/2"}[i]) {
			t.Errorf("resource %q", res)
		}
	}
}

// TestSaveDraftInvalid refuses drafts that cannot be a valid message,
// before connecting.
func TestSaveDraftInvalid(t *testing.T) {
	s := newTestSource(t, listenAndClose(t), testPassword)
	for _, d := range []connectors.Draft{
		{Subject: "no recipient"},
		{To: []string{"not an address"}},
		{To: []string{"bob@example.org"}, Cc: []string{"<broken"}},
		{To: []string{"bob@example.org"}, InReplyTo: "two words@example.org"},
	} {
		_, err := s.SaveDraft(context.Background(), d)
		if ce := connErr(t, err); ce.Code != "invalid_draft" {
			t.Errorf("draft %+v: code %s, want invalid_draft", d, ce.Code)
		}
	}
}

// fetchOnly returns the raw bytes and flags of the only message in folder.
func fetchOnly(t *testing.T, c *imapclient.Client, folder string) ([]byte, []imap.Flag) {
	t.Helper()
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages != 1 {
		t.Fatalf("%s has %d messages, want 1", folder, sel.NumMessages)
	}
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{Flags: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	return msgs[0].FindBodySection(section), msgs[0].Flags
}
