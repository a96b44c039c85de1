package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"confidant/internal/testserver"
)

// A person imports a ChatGPT export from Settings → Import, watches it
// finish, finds the conversation in the sidebar with its original branch
// reachable, and importing the file again adds nothing.
func TestImportChatGPTExport(t *testing.T) {
	e := setup(t, testserver.Options{})
	tb := e.chatter("ines")
	e.secret("Trip to Kyoto", "Nanzen-ji")
	tb.visit("/settings/passkeys")
	tb.click(`.tabs a[href="/settings/import"]`)
	tb.waitPath("/settings/import")
	if tb.shown(tid("import-passphrase")) {
		t.Error("the passphrase field shows before a bundle is chosen")
	}

	// A bundle-looking file shows the passphrase field.
	bundle := filepath.Join(t.TempDir(), "backup.age")
	if err := os.WriteFile(bundle, []byte("age-encryption.org/v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tb.do("choose a bundle", chromedp.SetUploadFiles(chromedp.CSS(tid("import-file")), []string{bundle}))
	tb.waitFor("passphrase field shown", `!document.querySelector('[data-import-passphrase]').hidden`)

	sample, err := filepath.Abs(filepath.Join("..", "portability", "importer", "testdata", "chatgpt_conversations.json"))
	if err != nil {
		t.Fatal(err)
	}
	tb.do("choose the export", chromedp.SetUploadFiles(chromedp.CSS(tid("import-file")), []string{sample}))
	tb.waitFor("passphrase field hidden", `document.querySelector('[data-import-passphrase]').hidden`)
	tb.click(tid("import-submit"))
	tb.waitFor("import finished", `(() => { const s = document.querySelector('[data-testid="import-status"]'); return !!s && (s.dataset.state === 'done' || s.dataset.state === 'failed'); })()`)
	if got := tb.text(tid("import-summary")); got != "Imported 2 conversations (10 messages), left out 1 empty conversation." {
		t.Fatalf("the summary reads %q", got)
	}
	tb.screenshot("import-done")

	// The imported conversation is in the sidebar, on the branch ChatGPT
	// showed last; the first version of the question is one click away.
	tb.click(tid("import-open-chats"))
	tb.waitPath("/")
	var kyoto convLink
	for _, l := range tb.sidebarLinks() {
		if l.Title == "Trip to Kyoto 🗾" {
			kyoto = l
		}
	}
	if kyoto.Href == "" {
		t.Fatalf("sidebar has no imported conversation: %+v", tb.sidebarLinks())
	}
	tb.visit(kyoto.Href)
	tb.waitVisible(answerSel)
	users := tb.texts(userTurnSel + " [data-body]")
	if len(users) != 2 || !strings.HasPrefix(users[0], "Plan three days in Kyoto for me, in autumn") {
		t.Fatalf("user turns on show: %q", users)
	}
	if v := tb.texts(userTurnSel + " " + tid("version")); len(v) == 0 || v[0] != "2/2" {
		t.Errorf("the first question shows versions %q, want 2/2", v)
	}
	tb.viewShot("import-conversation")
	tb.click(userTurnSel + ` button[aria-label="Previous version"]`)
	tb.waitFor("first branch shown", `[...document.querySelectorAll('[data-testid="turn-user"] [data-body]')].some(el => el.textContent.trim() === 'Plan three days in Kyoto for me.')`)
	if answers := tb.texts(answerSel + " [data-body]"); len(answers) != 1 || !strings.Contains(answers[0], "Fushimi Inari") {
		t.Errorf("first branch answers: %q", answers)
	}
	tb.viewShot("import-first-branch")

	// Again: nothing new.
	tb.visit("/settings/import")
	tb.do("choose the export again", chromedp.SetUploadFiles(chromedp.CSS(tid("import-file")), []string{sample}))
	tb.click(tid("import-submit"))
	tb.waitFor("second import finished", `(() => { const s = document.querySelector('[data-testid="import-status"]'); return !!s && s.dataset.state === 'done'; })()`)
	if got := tb.text(tid("import-summary")); got != "Imported 0 conversations, skipped 2 already here, left out 1 empty conversation." {
		t.Errorf("the second summary reads %q", got)
	}

	// A file that is not an export: the reason, in plain words.
	notes := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notes, []byte("shopping list"), 0o600); err != nil {
		t.Fatal(err)
	}
	tb.do("choose a text file", chromedp.SetUploadFiles(chromedp.CSS(tid("import-file")), []string{notes}))
	tb.click(tid("import-submit"))
	tb.waitVisible(tid("import-error"))
	if got := tb.text(tid("import-error")); !strings.HasPrefix(got, "This file is not an export this app can import") {
		t.Errorf("the refusal reads %q", got)
	}

	// At phone width the page fits.
	tb.do("emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	tb.visit("/settings/import")
	tb.expectNoSideScroll("/settings/import")
	tb.screenshot("phone-import")
}
