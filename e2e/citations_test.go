package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"confidant/internal/testserver"
)

// A person uploads a document, watches it become ready, asks a chat that
// answers from their documents, sees where the answer comes from, and
// clicks a citation to read the passage.
func TestAskDocumentsAndOpenCitation(t *testing.T) {
	e := setup(t, testserver.Options{})
	tb := e.chatter("cleo")
	tb.visit("/documents")
	guide, err := filepath.Abs(filepath.Join("..", "rag", "testdata", "files", "guide.md"))
	if err != nil {
		t.Fatal(err)
	}
	tb.do("choose a file", chromedp.SetUploadFiles(chromedp.CSS(tid("upload-input")), []string{guide}))
	tb.click(tid("upload-submit"))
	tb.waitFor("the document is ready", allSettled(1))

	tb.visit("/")
	tb.do("answer from all documents", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="documents-select"]').value = 'all'`))
	tb.screenshot("chat-new-with-documents")
	tb.send("How often should I water the tomatoes?", "complete")
	tb.waitVisible(tid("citation"))
	tb.viewShot("chat-answer-citations")
	if got := tb.text(tid("turn-sources")); !strings.Contains(got, "guide.md") {
		t.Fatalf("sources read %q", got)
	}
	tb.markDocument()
	tb.click(tid("citation"))
	tb.waitFor("the passage", `!window.__e2eOld && location.pathname.startsWith('/passages/') && document.readyState === 'complete'`)
	tb.waitVisible(tid("passage"))
	tb.screenshot("chat-citation-passage")
	if got := tb.text(tid("passage")); got == "" {
		t.Error("the citation opened an empty passage")
	}
}
