package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"confidant/internal/testserver"
	"confidant/portability/bundle"
)

const (
	canaryExport     = "Canary-Export-5d1c"
	exportPassphrase = "Canary-Passphrase-long-enough-2e7"
)

// A person exports their account from Settings: the page says what it
// holds, the passphrases must match, a passkey confirms, the browser
// downloads the file, and the file opens with the passphrase and holds
// their conversation. The page fits a phone.
func TestExportDownloadsEncryptedBundle(t *testing.T) {
	e := setup(t, testserver.Options{})
	e.secret(canaryExport, exportPassphrase)
	tb := e.chatter("ines")
	tb.visit("/")
	tb.send("Plan the boat trip "+canaryExport, "complete")

	tb.visit("/settings/export")
	if got := tb.text(tid("export-summary")); !strings.Contains(got, "1 conversation · 2 messages") {
		t.Errorf("the summary says %q", got)
	}
	if tb.shown(".export-recipient") || tb.shown(".export-credentials-warning") {
		t.Error("the recipient field or the credentials warning shows before being chosen")
	}
	tb.screenshot("settings-export")

	// Passphrases that differ are refused before any passkey prompt.
	tb.fill(tid("export-passphrase"), exportPassphrase)
	tb.fill(tid("export-passphrase-confirm"), exportPassphrase+"!")
	tb.click(tid("export-button"))
	tb.waitFor("the mismatch error", `document.querySelector('[data-error]') && !document.querySelector('[data-error]').hidden`)
	if got := tb.text("[data-error]"); !strings.Contains(got, "not the same") {
		t.Errorf("mismatched passphrases say %q", got)
	}
	if n := eval[int](tb, `window.__e2eGets ? window.__e2eGets.modal : 0`); n != 0 {
		t.Errorf("a passkey was asked for %d times before the form was valid", n)
	}

	dir := t.TempDir()
	progress := chromedp.Events(tb.ctx, cdpbrowser.DownloadProgress)
	tb.do("allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true),
			BrowserContextID: chromedp.FromContext(ctx).BrowserContextID})
		return err
	}))
	tb.fill(tid("export-passphrase-confirm"), exportPassphrase)
	tb.click(tid("export-button"))
	tb.waitVisible(tid("export-status"))
	file := waitDownload(t, tb, progress, dir)
	if got := tb.text(tid("export-status")); !strings.Contains(got, "downloading") {
		t.Errorf("the status says %q", got)
	}
	if left := eval[string](tb, `Array.from(document.querySelectorAll('input[type=password], input[name=grant]'), el => el.value).join('')`); left != "" {
		t.Error("the passphrase or the grant stays in the page after the download started")
	}
	tb.screenshot("settings-export-started")

	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(canaryExport)) {
		t.Fatal("the downloaded file holds the conversation in plain text")
	}
	id, _ := bundle.PassphraseIdentity(exportPassphrase)
	r, err := bundle.NewEncryptedReader(bytes.NewReader(data), bundle.Limits{}, id)
	if err != nil {
		t.Fatal(err)
	}
	if m := r.Manifest(); m.User.Username != "ines" || m.ConnectorCredentials {
		t.Errorf("manifest = %+v", m)
	}
	found := false
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.Message != nil && strings.Contains(rec.Message.Content, canaryExport) {
			found = true
		}
	}
	if !found {
		t.Error("the export lacks the conversation")
	}

	// The other key, and the credentials warning, at phone width.
	tb.do("emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	tb.visit("/settings/export")
	tb.click(tid("export-mode-recipient"))
	tb.click(tid("export-credentials"))
	if !tb.shown(".export-recipient") || tb.shown(".export-passphrase") || !tb.shown(".export-credentials-warning") {
		t.Error("choosing an age key does not swap the fields, or ticking credentials shows no warning")
	}
	tb.expectFits("the export page at phone width")
	tb.screenshot("settings-export-phone")
}

// waitDownload waits for the browser to finish a download into dir and
// returns the file's path; the test's deadline bounds the wait.
func waitDownload(t *testing.T, tb *tab, progress iter.Seq2[cdpbrowser.EventDownloadProgress, error], dir string) string {
	t.Helper()
	for ev, err := range progress {
		if err != nil {
			break
		}
		switch ev.State {
		case cdpbrowser.DownloadProgressStateCompleted:
			return filepath.Join(dir, ev.GUID)
		case cdpbrowser.DownloadProgressStateCanceled:
			tb.fail("the download was cancelled")
		}
	}
	entries, _ := os.ReadDir(dir)
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	tb.fail("no finished download (in %s: %v)", dir, names)
	return ""
}
