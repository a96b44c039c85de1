package e2e

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"confidant/internal/testserver"
)

// allSettled is true when the list shows n documents and none is still
// queued or being read.
func allSettled(n int) string {
	return `(() => { const items = [...document.querySelectorAll('[data-testid="document-item"]')];
		return items.length === ` + strconv.Itoa(n) + ` && items.every(el => el.dataset.status === 'ready' || el.dataset.status === 'failed'); })()`
}

// A person uploads several files with the plain form and one by dropping
// it; refused files are named at once, the list follows each file's
// ingestion without a reload, and a document is deleted after confirming.
func TestDocumentsUploadProgressDelete(t *testing.T) {
	e := setup(t, testserver.Options{})
	tb := e.chatter("dana")
	tb.click(tid("nav-documents"))
	tb.waitPath("/documents")
	if got := tb.text(tid("documents-empty")); !strings.HasPrefix(got, "No documents yet.") {
		t.Errorf("with no documents the page says %q", got)
	}

	files, err := filepath.Abs(filepath.Join("..", "rag", "testdata", "files"))
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{filepath.Join(files, "guide.md"), filepath.Join(files, "notes.docx"), filepath.Join(files, "latin1.txt"), filepath.Join(files, "image.png")}
	tb.do("choose files", chromedp.SetUploadFiles(chromedp.CSS(tid("upload-input")), paths))
	tb.click(tid("upload-submit"))
	tb.waitVisible(tid("rejected"))
	if got := tb.text(tid("rejected")); !strings.Contains(got, "image.png") || !strings.Contains(got, "not supported") {
		t.Errorf("the refusal reads %q", got)
	}
	tb.waitFor("three documents settled", allSettled(3))
	statuses := map[string]string{}
	for _, row := range eval[[][2]string](tb, `[...document.querySelectorAll('[data-testid="document-item"]')].map(el => [
		el.querySelector('[data-testid="document-name"]').textContent.trim(), el.querySelector('[data-testid="document-status"]').textContent.trim()])`) {
		statuses[row[0]] = row[1]
	}
	if !strings.HasPrefix(statuses["guide.md"], "Ready") || !strings.HasPrefix(statuses["notes.docx"], "Ready") {
		t.Errorf("statuses %q, want guide.md and notes.docx ready", statuses)
	}
	if !strings.Contains(statuses["latin1.txt"], "not UTF-8") {
		t.Errorf("latin1.txt says %q, want the UTF-8 refusal", statuses["latin1.txt"])
	}
	tb.screenshot("documents-after-upload")

	// Drag and drop submits the same form.
	secret := "Dropped passage about lighthouse keepers"
	e.secret(secret)
	eval[bool](tb, `(() => { const dt = new DataTransfer();
		dt.items.add(new File(['# Dropped\n\n`+secret+`\n'], 'dropped.md', {type: 'text/markdown'}));
		document.querySelector('[data-dropzone]').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
		return true; })()`)
	tb.waitFor("dropped file listed and ready", `[...document.querySelectorAll('[data-testid="document-item"]')].some(el =>
		el.querySelector('[data-testid="document-name"]').textContent.trim() === 'dropped.md' && el.dataset.status === 'ready')`)
	tb.waitFor("four documents settled", allSettled(4))

	// Search the documents and open a passage, as a citation would.
	tb.fill(tid("doc-search"), "tram to the castle")
	tb.click(tid("doc-search-submit"))
	tb.waitVisible(tid("doc-result"))
	if got := tb.text(tid("doc-result")); !strings.Contains(got, "notes.docx") || !strings.Contains(got, "number 28") {
		t.Errorf("the first result reads %q", got)
	}
	tb.screenshot("documents-search")
	tb.click(tid("doc-result-link"))
	tb.waitVisible(tid("passage"))
	if got := tb.text(tid("passage-heading")); got != "Travel notes > Lisbon" {
		t.Errorf("the passage heading is %q", got)
	}
	tb.visit("/documents")

	// Delete the first one, confirming in the dialog.
	first := tb.text(tid("document-item") + " " + tid("document-name"))
	tb.click(tid("document-delete"))
	tb.waitVisible("dialog[open] " + tid("document-delete-confirm"))
	tb.screenshot("documents-delete-confirm")
	tb.click("dialog[open] " + tid("document-delete-confirm"))
	tb.waitFor("deleted notice", `document.body.innerText.includes('The document is deleted.')`)
	for _, name := range tb.texts(tid("document-name")) {
		if name == first {
			t.Errorf("%s still listed after delete", first)
		}
	}
	if n := tb.count(tid("document-item")); n != 3 {
		t.Errorf("%d documents after delete, want 3", n)
	}
}

// The Documents page fits a phone, even with a long file name.
func TestDocumentsPhoneWidth(t *testing.T) {
	e := setup(t, testserver.Options{})
	tb := e.newTab()
	tb.do("emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	tb.signUp(signup{Username: "pim", DisplayName: canaryDisplay})
	tb.visit("/documents")
	tb.expectNoSideScroll("/documents (empty)")
	eval[bool](tb, `(() => { const dt = new DataTransfer();
		dt.items.add(new File(['Some notes.'], 'a-very-long-file-name-without-any-spaces-that-could-push-the-page-sideways-2026-11-26.txt'));
		document.querySelector('[data-dropzone]').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
		return true; })()`)
	tb.waitFor("the document is ready", allSettled(1))
	tb.expectNoSideScroll("/documents")
	tb.screenshot("phone-documents")
}
