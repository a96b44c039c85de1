package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"confidant/internal/testserver"
	"confidant/portability/bundle"
	"confidant/portability/exporter"
	"confidant/store"
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

// A person takes a Confidant bundle exported from another account (as
// from another fork) and imports it with its passphrase: a wrong one is
// refused in plain words, the right one brings the conversation back.
func TestImportConfidantBundle(t *testing.T) {
	e := setup(t, testserver.Options{})
	ctx := context.Background()
	at := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)

	// The account the bundle comes from, written directly.
	from := store.User{ID: uuid.New(), Username: "oldme", DisplayName: "Old me", CreatedAt: at}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.srv.Store.CreateUser(ctx, from))
	conv := store.Conversation{ID: uuid.Must(uuid.NewV7()), UserID: from.ID, Title: "Garden plans 🌱", Model: "sim-chat", CreatedAt: at, UpdatedAt: at}
	must(e.srv.Store.CreateConversation(ctx, conv))
	q := store.Message{ID: uuid.Must(uuid.NewV7()), ConversationID: conv.ID, UserID: from.ID, Role: store.RoleUser, Content: "When do I plant tulips?", Status: store.StatusComplete, CreatedAt: at, UpdatedAt: at}
	must(e.srv.Store.AddMessage(ctx, q))
	a := store.Message{ID: uuid.Must(uuid.NewV7()), ConversationID: conv.ID, UserID: from.ID, ParentID: &q.ID, Role: store.RoleAssistant, Model: "sim-chat",
		Content: "Plant tulip bulbs in autumn, before the ground freezes.", Status: store.StatusComplete, CreatedAt: at, UpdatedAt: at}
	must(e.srv.Store.AddMessage(ctx, a))
	const passphrase = "tulips in the autumn rain"
	rcpt, err := bundle.PassphraseRecipient(passphrase, 10)
	must(err)
	var buf bytes.Buffer
	ex := &exporter.Exporter{Store: e.srv.Store, Source: bundle.Source{Origin: "https://old.example"}}
	must(ex.ExportEncrypted(ctx, from.ID, &buf, rcpt, exporter.Options{}))
	file := filepath.Join(t.TempDir(), "confidant-export.age")
	must(os.WriteFile(file, buf.Bytes(), 0o600))
	e.secret(passphrase, "tulip bulbs")

	tb := e.chatter("newme")
	tb.visit("/settings/import")
	tb.do("choose the bundle", chromedp.SetUploadFiles(chromedp.CSS(tid("import-file")), []string{file}))
	tb.waitFor("passphrase field shown", `!document.querySelector('[data-import-passphrase]').hidden`)
	tb.fill(tid("import-passphrase"), "not the right passphrase")
	tb.click(tid("import-submit"))
	tb.waitFor("import refused", `(() => { const s = document.querySelector('[data-testid="import-status"]'); return !!s && s.dataset.state === 'failed'; })()`)
	if got := tb.text(tid("import-error")); got != "The passphrase does not open this bundle." {
		t.Errorf("the refusal reads %q", got)
	}
	tb.screenshot("import-bundle-wrong-passphrase")

	tb.fill(tid("import-passphrase"), passphrase)
	tb.click(tid("import-submit"))
	tb.waitFor("import finished", `(() => { const s = document.querySelector('[data-testid="import-status"]'); return !!s && s.dataset.state === 'done'; })()`)
	if got := tb.text(tid("import-summary")); got != "Imported 1 conversation (2 messages)." {
		t.Errorf("the summary reads %q", got)
	}
	tb.screenshot("import-bundle-done")
	tb.click(tid("import-open-chats"))
	tb.waitPath("/")
	found := ""
	for _, l := range tb.sidebarLinks() {
		if l.Title == "Garden plans 🌱" {
			found = l.Href
		}
	}
	if found == "" {
		t.Fatalf("the imported conversation is not in the sidebar: %+v", tb.sidebarLinks())
	}
	tb.visit(found)
	tb.waitVisible(answerSel)
	if got := tb.texts(answerSel + " [data-body]"); len(got) != 1 || !strings.Contains(got[0], "Plant tulip bulbs in autumn") {
		t.Errorf("the answer reads %q", got)
	}
}
