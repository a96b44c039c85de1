package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"confidant/connectors"
	"confidant/connectors/caldav"
	"confidant/connectors/imap"
	"confidant/internal/testcal"
	"confidant/internal/testmail"
	"confidant/internal/testserver"
)

// slowMailbox is a test-only Source that syncs three messages in three
// batches, a moment apart, so the page shows a sync in progress.
type slowMailbox struct{}

func (slowMailbox) Sync(ctx context.Context, cursor []byte, sink connectors.Sink) error {
	start := 0
	if len(cursor) == 1 {
		start = int(cursor[0] - '0')
	}
	for i := start; i < 3; i++ {
		select {
		case <-time.After(700 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
		m := connectors.Mail{Resource: "INBOX/1/" + string(rune('1'+i)), Subject: "Note " + string(rune('1'+i)), Text: "text", Date: time.Now()}
		if err := sink.Apply(ctx, connectors.Batch{Mail: []connectors.Mail{m}, Cursor: []byte{byte('1' + i)}, Progress: connectors.Progress{Done: i + 1, Total: 3}}); err != nil {
			return err
		}
	}
	return nil
}

// A person on a phone connects a mailbox with the keyboard, is told what
// to fix first, watches the sync finish without reloading, and
// disconnects after confirming.
func TestConnectMailbox(t *testing.T) {
	factory := func(connectors.Settings, connectors.Dialer, connectors.TokenSaver) (connectors.Source, error) {
		return slowMailbox{}, nil
	}
	e := setup(t, testserver.Options{Connectors: map[connectors.Kind]connectors.SourceFactory{connectors.KindIMAP: factory, connectors.KindCalDAV: factory}})
	const password = "Canary-Password-51c2"
	e.secret(password)
	tb := e.newTab()
	tb.do("emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	tb.signUp(signup{Username: "cora", DisplayName: canaryDisplay})
	tb.visit("/")
	tb.do("open the menu", chromedp.Click(chromedp.CSS(`.menu summary`)))
	tb.click(`.menu-panel a[href="/connections"]`)
	tb.waitPath("/connections")
	tb.waitVisible(tid("connections-empty"))
	if got := tb.text(tid("connections-empty")); !strings.Contains(got, "cannot send mail or delete anything") {
		t.Fatalf("empty state = %q", got)
	}
	tb.expectNoSideScroll("/connections (empty)")
	tb.screenshot("phone-connections-empty")

	// Plain text to a remote server is refused, with the reason by the
	// field, and the form keeps what was typed.
	tb.fill(tid("imap-host"), "imap.example.org")
	eval[bool](tb, `(() => { document.querySelector('[data-testid="imap-security"]').value = 'none'; return true; })()`)
	tb.fill(tid("imap-username"), "cora@example.org")
	tb.fill(tid("imap-password"), password)
	tb.do("press Enter", chromedp.KeyEvent(kb.Enter))
	tb.waitVisible(tid("form-error"))
	if got := tb.text(tid("form-error")); !strings.Contains(got, "Unencrypted connections are allowed only to this machine") {
		t.Fatalf("error = %q", got)
	}
	if got := eval[string](tb, `document.querySelector('[data-testid="imap-host"]').value`); got != "imap.example.org" {
		t.Fatalf("host after the error = %q", got)
	}
	tb.screenshot("phone-connections-error")

	eval[bool](tb, `(() => { document.querySelector('[data-testid="imap-security"]').value = 'tls'; return true; })()`)
	tb.fill(tid("imap-password"), password)
	tb.do("press Enter", chromedp.KeyEvent(kb.Enter))
	tb.expectNotice("Connected. The first sync has started; it can take a few minutes for a large mailbox.")
	tb.waitFor("syncing with progress", `!!document.querySelector('[data-testid="connection-item"][data-status="syncing"]')`)
	tb.screenshot("phone-connections-syncing")
	// htmx polls the item until the sync is done: no reload.
	eval[bool](tb, `(() => { window.__notReloaded = true; return true; })()`)
	tb.waitFor("idle", `!!document.querySelector('[data-testid="connection-item"][data-status="idle"]')`)
	if !eval[bool](tb, `window.__notReloaded === true`) {
		t.Fatal("the page reloaded to show the status")
	}
	if got := tb.text(tid("connection-items")); got != "3 items" {
		t.Fatalf("items = %q", got)
	}
	if got := tb.text(tid("connection-last-sync")); got != "Last synced just now" {
		t.Fatalf("last sync = %q", got)
	}
	if got := tb.text(tid("connection-capabilities")); !strings.Contains(got, "It cannot send or delete anything.") {
		t.Fatalf("capabilities = %q", got)
	}
	tb.expectNoSideScroll("/connections")
	tb.screenshot("phone-connections")

	tb.click(tid("connection-disconnect"))
	tb.waitVisible(`dialog[open] ` + tid("connection-disconnect-confirm"))
	tb.screenshot("phone-connections-disconnect-dialog")
	tb.click(`dialog[open] ` + tid("connection-disconnect-confirm"))
	tb.expectNotice("Disconnected. The password and everything synced from the account were deleted.")
	tb.waitVisible(tid("connections-empty"))
}

// A person connects a real mailbox (dovecot) and calendar (radicale) on
// the Connections page and sees them synced; a wrong password is shown in
// plain words.
func TestConnectRealAccounts(t *testing.T) {
	mail := testmail.StartIMAP(t, testmail.IMAPOptions{Users: map[string]string{"ines": "mail-secret"}})
	var raws [][]byte
	for i := range 12 {
		raws = append(raws, []byte(fmt.Sprintf("From: Bob <bob@example.org>\r\nTo: ines@example.org\r\nSubject: Hello %d\r\nDate: Mon, 2 Nov 2026 09:%02d:00 +0000\r\nMessage-ID: <hello-%d@example.org>\r\n\r\nBody %d\r\n", i, i, i, i)))
	}
	mail.Deliver(t, "ines", raws)
	cal := testcal.StartCalDAV(t, testcal.Options{Users: map[string]string{"ines": "cal-secret"}})
	work := cal.MakeCalendar(t, "ines", "work", "Work")
	day := time.Now().UTC().Add(48 * time.Hour).Truncate(24 * time.Hour).Add(14 * time.Hour)
	cal.Put(t, "ines", work, "review.ics", "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//confidant tests//EN\nBEGIN:VEVENT\nUID:review@example.org\nDTSTAMP:20261101T000000Z\nDTSTART:"+
		day.Format("20060102T150405Z")+"\nDTEND:"+day.Add(time.Hour).Format("20060102T150405Z")+"\nSUMMARY:Design review\nEND:VEVENT\nEND:VCALENDAR\n")

	e := setup(t, testserver.Options{Connectors: map[connectors.Kind]connectors.SourceFactory{connectors.KindIMAP: imap.New, connectors.KindCalDAV: caldav.New}})
	e.secret("mail-secret", "cal-secret", "wrong-secret")
	tb := e.newTab()
	tb.signUp(signup{Username: "ines", DisplayName: canaryDisplay})
	tb.visit("/")
	tb.click(tid("nav-connections"))
	tb.waitPath("/connections")

	connectMail := func(password string) {
		tb.fill(tid("imap-host"), "127.0.0.1")
		eval[bool](tb, `(() => { document.querySelector('[data-testid="imap-security"]').value = 'none'; return true; })()`)
		tb.fill(tid("imap-port"), strconv.Itoa(mail.Port))
		tb.fill(tid("imap-username"), "ines")
		tb.fill(tid("imap-password"), password)
		tb.click(tid("imap-submit"))
		tb.expectNotice("Connected. The first sync has started; it can take a few minutes for a large mailbox.")
	}
	connectMail("mail-secret")
	tb.fill(tid("caldav-url"), cal.URL)
	tb.fill(tid("caldav-username"), "ines")
	tb.fill(tid("caldav-password"), "cal-secret")
	tb.click(tid("caldav-submit"))
	tb.expectNotice("Connected. The first sync has started; it can take a few minutes for a large mailbox.")
	tb.waitFor("both synced", `document.querySelectorAll('[data-testid="connection-item"][data-status="idle"]').length === 2`)
	if got := tb.texts(tid("connection-items")); strings.Join(got, ",") != "12 items,1 item" {
		t.Fatalf("items = %q", got)
	}
	tb.screenshot("connections-real")

	connectMail("wrong-secret")
	tb.waitFor("the wrong password shown", `!!document.querySelector('[data-testid="connection-item"][data-status="error"] [data-testid="connection-error"]')`)
	if got := tb.text(tid("connection-error")); !strings.Contains(strings.ToLower(got), "password") {
		t.Fatalf("error shown = %q", got)
	}
	tb.screenshot("connections-wrong-password")
}
