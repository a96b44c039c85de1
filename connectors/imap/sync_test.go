package imap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"confidant/connectors"
	"confidant/connectors/mailparse"
	"confidant/internal/testmail"
)

// TestSyncFull loads the parser's corpus (multipart, attachments,
// non-UTF-8, malformed) into INBOX and a folder, plus mail in Junk and
// Trash, and checks one full sync: each synced message exactly once, as
// the parser reads it, skipped folders left out, batches bounded, progress
// reaching the STATUS total, and no message marked \Seen.
func TestSyncFull(t *testing.T) {
	srv := startServer(t, testmail.IMAPOptions{})
	c := srv.Login(t, testUser, testPassword)
	testmail.CreateMailbox(t, c, "Archiv/Größe 2025")
	want := map[string][]byte{} // resource suffix "folder/uid" → raw
	names := make([]string, 0)
	files := corpus(t)
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		folder := "INBOX"
		if i%4 == 3 {
			folder = "Archiv/Größe 2025"
		}
		uid := testmail.Append(t, c, folder, files[name])
		want[fmt.Sprintf("%s/%d", folder, uid)] = files[name]
	}
	testmail.Append(t, c, "Junk", numbered(1, 100))
	testmail.Append(t, c, "Trash", numbered(2, 100))
	testmail.Append(t, c, "Drafts", numbered(3, 100))

	s := newTestSource(t, srv.Addr(), testPassword)
	s.batchSize = 3
	rec := syncOnce(t, s, nil)

	got := byResource(t, rec.mails())
	if len(got) != len(want) {
		t.Errorf("synced %d messages, want %d", len(got), len(want))
	}
	for res, m := range got {
		parts := strings.Split(res, "/")
		key := strings.Join(append(parts[:len(parts)-2:len(parts)-2], parts[len(parts)-1]), "/")
		raw, ok := want[key]
		if !ok {
			t.Errorf("unexpected resource %s (folder %s)", res, m.Folder)
			continue
		}
		if m.Folder != strings.Join(parts[:len(parts)-2], "/") {
			t.Errorf("%s: folder %q", res, m.Folder)
		}
		// dovecot serves a NUL byte as 0x80 (RFC 3501 forbids NUL).
		p := mailparse.Parse(bytes.ReplaceAll(raw, []byte{0}, []byte{0x80}), mailparse.Options{})
		if m.Subject != p.Subject || m.From != p.From || m.Text != p.Text || len(m.Attachments) != len(p.Attachments) {
			t.Errorf("%s: synced %q/%q/%q, parser reads %q/%q/%q", res, m.Subject, m.From, m.Text, p.Subject, p.From, p.Text)
		}
		if m.Size < int64(len(raw)) {
			t.Errorf("%s: size %d, raw is %d", res, m.Size, len(raw))
		}
		if slices.Contains(m.Flags, string(imap.FlagSeen)) {
			t.Errorf("%s: flagged \\Seen", res)
		}
		if m.Date.IsZero() {
			t.Errorf("%s: no date (INTERNALDATE is the fallback)", res)
		}
	}
	for i, b := range rec.batches {
		if len(b.Mail) > 3 {
			t.Errorf("batch %d has %d mails, batch size is 3", i, len(b.Mail))
		}
		if b.Progress.Total != len(want) {
			t.Errorf("batch %d: progress total %d, want %d", i, b.Progress.Total, len(want))
		}
		if len(b.Cursor) == 0 {
			t.Errorf("batch %d has no cursor", i)
		}
	}
	if last := rec.batches[len(rec.batches)-1].Progress; last.Done != last.Total {
		t.Errorf("final progress %+v", last)
	}

	// PEEK: the server still has every message unseen.
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if slices.Contains(m.Flags, imap.FlagSeen) {
			t.Errorf("message %d was marked \\Seen by the sync", m.SeqNum)
		}
	}

	// Caught up: a second sync hands over nothing.
	again := syncOnce(t, s, rec.cursor())
	if n := len(again.mails()); n != 0 || len(again.removed()) != 0 {
		t.Errorf("second sync: %d mails, removed %v", n, again.removed())
	}
}

// TestSyncIncremental: new mail only, nothing twice, and a deleted folder's
// mail removed.
func TestSyncIncremental(t *testing.T) {
	srv := startServer(t, testmail.IMAPOptions{})
	c := srv.Login(t, testUser, testPassword)
	testmail.CreateMailbox(t, c, "Old")
	for i := 1; i <= 5; i++ {
		testmail.Append(t, c, "INBOX", numbered(i, 200))
	}
	oldUID := testmail.Append(t, c, "Old", numbered(99, 200))
	s := newTestSource(t, srv.Addr(), testPassword)
	s.batchSize = 2
	first := syncOnce(t, s, nil)
	if n := len(byResource(t, first.mails())); n != 6 {
		t.Fatalf("first sync: %d mails, want 6", n)
	}

	testmail.Append(t, c, "INBOX", numbered(6, 200))
	testmail.Append(t, c, "INBOX", numbered(7, 200))
	if err := c.Delete("Old").Wait(); err != nil {
		t.Fatal(err)
	}
	second := syncOnce(t, s, first.cursor())
	var subjects []string
	for _, m := range second.mails() {
		subjects = append(subjects, m.Subject)
	}
	if !slices.Equal(subjects, []string{"message 6", "message 7"}) {
		t.Errorf("second sync subjects %v, want the two new messages", subjects)
	}
	oldRes := first.mails()[5].Resource
	if !strings.HasPrefix(oldRes, "Old/") || !strings.HasSuffix(oldRes, fmt.Sprintf("/%d", oldUID)) {
		t.Fatalf("expected the Old folder's message last, got %s", oldRes)
	}
	if got := second.removed(); !slices.Equal(got, []string{oldRes}) {
		t.Errorf("removed %v, want the deleted folder's %s", got, oldRes)
	}
	third := syncOnce(t, s, second.cursor())
	if len(third.mails()) != 0 || len(third.removed()) != 0 {
		t.Errorf("third sync: %d mails, %d removed", len(third.mails()), len(third.removed()))
	}
}

// TestSyncFlagChanges: with CONDSTORE, a flag changed on the server comes
// back as that message again, with its new flags, and nothing else.
func TestSyncFlagChanges(t *testing.T) {
	srv := startServer(t, testmail.IMAPOptions{})
	c := srv.Login(t, testUser, testPassword)
	var uids []imap.UID
	for i := 1; i <= 4; i++ {
		uids = append(uids, testmail.Append(t, c, "INBOX", numbered(i, 100)))
	}
	s := newTestSource(t, srv.Addr(), testPassword)
	first := syncOnce(t, s, nil)
	if !strings.Contains(string(first.cursor()), `"modseq"`) {
		t.Fatalf("dovecot offers CONDSTORE, the cursor should hold a modseq: %s", first.cursor())
	}
	testmail.AddFlags(t, c, "INBOX", []imap.Flag{imap.FlagFlagged, imap.FlagSeen}, uids[2])
	second := syncOnce(t, s, first.cursor())
	mails := second.mails()
	if len(mails) != 1 {
		t.Fatalf("after a flag change: %d mails, want 1", len(mails))
	}
	if want := first.mails()[2].Resource; mails[0].Resource != want {
		t.Errorf("changed %s, want %s", mails[0].Resource, want)
	}
	if !slices.Contains(mails[0].Flags, `\Flagged`) || !slices.Contains(mails[0].Flags, `\Seen`) {
		t.Errorf("flags %v, want \\Flagged and \\Seen", mails[0].Flags)
	}
	if mails[0].Subject != "message 3" || !strings.Contains(mails[0].Text, "line of message 3") {
		t.Errorf("the changed message comes whole: %q %q", mails[0].Subject, mails[0].Text)
	}
	third := syncOnce(t, s, second.cursor())
	if len(third.mails()) != 0 {
		t.Errorf("third sync: %d mails, want 0", len(third.mails()))
	}
}

// TestSyncExpunge: a message expunged on the server is Removed.
func TestSyncExpunge(t *testing.T) {
	srv := startServer(t, testmail.IMAPOptions{})
	c := srv.Login(t, testUser, testPassword)
	var uids []imap.UID
	for i := 1; i <= 5; i++ {
		uids = append(uids, testmail.Append(t, c, "INBOX", numbered(i, 100)))
	}
	s := newTestSource(t, srv.Addr(), testPassword)
	first := syncOnce(t, s, nil)
	resources := map[imap.UID]string{}
	for _, m := range first.mails() {
		for _, u := range uids {
			if strings.HasSuffix(m.Resource, fmt.Sprintf("/%d", u)) {
				resources[u] = m.Resource
			}
		}
	}
	testmail.Expunge(t, c, "INBOX", uids[1], uids[3])
	second := syncOnce(t, s, first.cursor())
	want := []string{resources[uids[1]], resources[uids[3]]}
	sort.Strings(want)
	if got := second.removed(); !slices.Equal(got, want) {
		t.Errorf("removed %v, want %v", got, want)
	}
	if len(second.mails()) != 0 {
		t.Errorf("%d mails after an expunge, want 0", len(second.mails()))
	}
	if last := second.batches[len(second.batches)-1].Progress; last.Done != 3 || last.Total != 3 {
		t.Errorf("progress %+v, want 3 of 3", last)
	}
}

// TestSyncUIDValidityChange: a new UIDVALIDITY voids every known UID: the
// old resources are removed and the folder synced again under new ones.
func TestSyncUIDValidityChange(t *testing.T) {
	srv := startServer(t, testmail.IMAPOptions{})
	c := srv.Login(t, testUser, testPassword)
	for i := 1; i <= 3; i++ {
		testmail.Append(t, c, "INBOX", numbered(i, 100))
	}
	s := newTestSource(t, srv.Addr(), testPassword)
	first := syncOnce(t, s, nil)
	v := srv.ResetUIDValidity(t, testUser, "INBOX")
	second := syncOnce(t, s, first.cursor())
	var old []string
	for _, m := range first.mails() {
		old = append(old, m.Resource)
	}
	sort.Strings(old)
	if got := second.removed(); !slices.Equal(got, old) {
		t.Errorf("removed %v, want every old resource %v", got, old)
	}
	got := byResource(t, second.mails())
	if len(got) != 3 {
		t.Fatalf("resynced %d, want 3", len(got))
	}
	for res := range got {
		if !strings.HasPrefix(res, fmt.Sprintf("INBOX/%d/", v)) {
			t.Errorf("resource %s, want UIDVALIDITY %d", res, v)
		}
	}
}

// TestSyncResumeAfterCut cuts the connection in the middle of a sync; the
// next sync, from the last applied batch's cursor, delivers the rest:
// every message exactly once across both.
func TestSyncResumeAfterCut(t *testing.T) {
	srv := startServer(t, testmail.IMAPOptions{})
	const n = 40
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i] = numbered(i+1, 2000)
	}
	srv.Deliver(t, testUser, msgs)
	proxy := testmail.NewProxy(t, srv.Addr())
	proxy.CutAfter(45_000) // about half of the 40 × 2 KB
	s := newTestSource(t, proxy.Addr(), testPassword)
	s.batchSize = 5

	first := &recorder{}
	err := s.Sync(context.Background(), nil, first)
	if err == nil {
		t.Fatal("sync through a cut connection succeeded")
	}
	if ce := connErr(t, err); ce.Code != "unreachable" || !ce.Retry {
		t.Errorf("cut: %+v, want unreachable with retry", ce)
	}
	done := len(first.mails())
	if done == 0 || done >= n {
		t.Fatalf("the cut should fall mid-sync: %d of %d delivered", done, n)
	}
	if proxy.Cuts.Load() == 0 {
		t.Fatal("the proxy cut nothing")
	}

	proxy.CutAfter(0)
	second := syncOnce(t, s, first.cursor())
	all := byResource(t, append(first.mails(), second.mails()...))
	if len(all) != n {
		t.Errorf("%d distinct messages after resume, want %d", len(all), n)
	}
	seen := map[string]bool{}
	for _, m := range all {
		seen[m.Subject] = true
	}
	for i := 1; i <= n; i++ {
		if !seen[fmt.Sprintf("message %d", i)] {
			t.Errorf("message %d lost", i)
		}
	}
}

// TestSyncLargeMessage fetches only the first maxFetch bytes of a large
// message and says so in its text; its size is the whole message's.
func TestSyncLargeMessage(t *testing.T) {
	srv := startServer(t, testmail.IMAPOptions{})
	c := srv.Login(t, testUser, testPassword)
	raw := numbered(1, 200_000)
	testmail.Append(t, c, "INBOX", raw)
	s := newTestSource(t, srv.Addr(), testPassword)
	s.maxFetch = 8 << 10
	rec := syncOnce(t, s, nil)
	m := rec.mails()[0]
	if m.Size != int64(len(raw)) {
		t.Errorf("size %d, want %d", m.Size, len(raw))
	}
	if !strings.HasSuffix(m.Text, mailparse.MarkerPartial) || len(m.Text) > 9<<10 {
		t.Errorf("text of %d bytes ending %q: want at most the fetched part and the marker", len(m.Text), m.Text[max(0, len(m.Text)-80):])
	}
	if m.Subject != "message 1" {
		t.Errorf("subject %q", m.Subject)
	}
}

// TestSyncErrors: what a person sees when the account cannot be read.
func TestSyncErrors(t *testing.T) {
	srv := startServer(t, testmail.IMAPOptions{})
	tests := []struct {
		name     string
		source   func() *Source
		code     string
		retry    bool
		notInMsg string
	}{
		{
			name:   "wrong password",
			source: func() *Source { return newTestSource(t, srv.Addr(), "wrong") },
			code:   "auth_failed", retry: false, notInMsg: "wrong",
		},
		{
			name: "unreachable port",
			source: func() *Source {
				l := listenAndClose(t)
				return newTestSource(t, l, testPassword)
			},
			code: "unreachable", retry: true,
		},
		{
			name: "TLS to a plain-text server",
			source: func() *Source {
				s := newTestSource(t, srv.Addr(), testPassword)
				s.settings.Security = connectors.SecurityTLS
				return s
			},
			code: "tls",
		},
		{
			name: "STARTTLS not offered",
			source: func() *Source {
				s := newTestSource(t, srv.Addr(), testPassword)
				s.settings.Security = connectors.SecuritySTARTTLS
				return s
			},
			code: "tls",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			err := tt.source().Sync(context.Background(), nil, rec)
			if err == nil {
				t.Fatal("sync succeeded")
			}
			ce := connErr(t, err)
			if ce.Code != tt.code || ce.Retry != tt.retry {
				t.Errorf("error %+v, want code %s retry %v", ce, tt.code, tt.retry)
			}
			if ce.Message == "" || (tt.notInMsg != "" && strings.Contains(ce.Error(), tt.notInMsg)) {
				t.Errorf("message %q", ce.Error())
			}
			if len(rec.batches) != 0 {
				t.Errorf("%d batches applied", len(rec.batches))
			}
		})
	}
}

// TestSyncCursorInvalid refuses an unreadable cursor rather than guessing.
func TestSyncCursorInvalid(t *testing.T) {
	s := newTestSource(t, "127.0.0.1:1", testPassword)
	err := s.Sync(context.Background(), []byte("{not json"), &recorder{})
	if ce := connErr(t, err); ce.Code != "cursor" {
		t.Errorf("code %s, want cursor", ce.Code)
	}
}

// sinkFunc adapts a function to connectors.Sink.
type sinkFunc func(context.Context, connectors.Batch) error

func (f sinkFunc) Apply(ctx context.Context, b connectors.Batch) error { return f(ctx, b) }

// TestSyncStops: a Sink error stops the sync and comes back unchanged; a
// cancelled context stops it with the context's error.
func TestSyncStops(t *testing.T) {
	srv := startServer(t, testmail.IMAPOptions{})
	msgs := make([][]byte, 20)
	for i := range msgs {
		msgs[i] = numbered(i+1, 100)
	}
	srv.Deliver(t, testUser, msgs)
	s := newTestSource(t, srv.Addr(), testPassword)
	s.batchSize = 5

	errFull := errors.New("disk full")
	calls := 0
	err := s.Sync(context.Background(), nil, sinkFunc(func(context.Context, connectors.Batch) error {
		calls++
		return errFull
	}))
	if err != errFull || calls != 1 {
		t.Errorf("sink error: got %v after %d batches, want the sink's error after 1", err, calls)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls = 0
	err = s.Sync(ctx, nil, sinkFunc(func(context.Context, connectors.Batch) error {
		calls++
		cancel()
		return nil
	}))
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("cancel: got %v after %d batches, want context.Canceled after 1", err, calls)
	}
}
