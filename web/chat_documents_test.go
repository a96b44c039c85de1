package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"confidant/internal/softauthn"
	"confidant/internal/testclient"
)

var citationLink = regexp.MustCompile(`href="(/passages/[0-9a-f-]{36})" data-testid="citation"`)

// A chat that answers from the user's documents cites the passages it was
// given; a citation opens its passage, for its owner only.
func TestChatCitesDocuments(t *testing.T) {
	srv := start(t)
	c := testclient.New(t, srv)
	device := softauthn.New(srv.URL)
	c.SignUp(device, "iris", "Iris")
	key := c.CreateAPIKey(device, "docs", "read", "write")
	manual := []byte("# Heat pump manual\n\n## Defrost cycle\n\nThe heat pump runs a defrost cycle every 90 minutes when the outdoor coil freezes.\n\n" +
		"## Filters\n\nClean the intake filters every spring with warm water.\n")
	code, up := upload(t, srv, key, map[string][]byte{"heatpump.md": manual}, "heatpump.md")
	if code != http.StatusAccepted || up.Job == nil {
		t.Fatalf("upload: %d %+v", code, up)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var job apiJobAnswer
		apiGet(t, srv, key, "/api/jobs/"+up.Job.ID, &job)
		if job.State == "done" {
			break
		}
		if job.State == "failed" || time.Now().After(deadline) {
			t.Fatalf("ingestion: %+v", job)
		}
		time.Sleep(50 * time.Millisecond)
	}

	c.Get("/")
	if res, _ := c.PostForm("/c", url.Values{"content": {"hi"}, "documents": {"00000000-0000-0000-0000-000000000000"}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a document that is not the user's was accepted: %d", res.StatusCode)
	}
	res, _ := c.PostForm("/c", url.Values{"content": {"How often does the heat pump defrost cycle run?"}, "documents": {"all"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d", res.StatusCode)
	}
	conv := res.Header.Get("Location")
	_, page := c.Get(conv)
	_, events := readStream(t, c, lastAnswerStream(t, conv, page), "")
	if last := events[len(events)-1]; !strings.Contains(last.Data.Sources, "heatpump.md") {
		t.Fatalf("the end event cites nothing: %q", last.Data.Sources)
	}
	_, page = c.Get(conv)
	m := citationLink.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "Defrost cycle") {
		t.Fatalf("the answer shows no citation of the defrost passage")
	}
	res2, passage := c.Get(m[1])
	if res2.StatusCode != http.StatusOK || !strings.Contains(passage, "every 90 minutes") {
		t.Errorf("the citation does not open its passage: %d", res2.StatusCode)
	}

	// Another user can neither open the passage nor see the citations.
	other := testclient.New(t, srv)
	other.SignUp(softauthn.New(srv.URL), "mallory", "Mallory")
	if res, _ := other.Get(m[1]); res.StatusCode != http.StatusNotFound {
		t.Errorf("another user opened the passage: %d", res.StatusCode)
	}
	if res, _ := other.Get(conv); res.StatusCode != http.StatusNotFound {
		t.Errorf("another user opened the conversation: %d", res.StatusCode)
	}

	// Switching the conversation off documents stops citing.
	res, _ = c.PostForm(conv+"/documents", url.Values{"documents": {""}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch documents off: %d", res.StatusCode)
	}
	_, page = send(t, c, conv+"/messages", "And the defrost cycle again?")
	_, events = readStream(t, c, lastAnswerStream(t, conv, page), "")
	if last := events[len(events)-1]; last.Data.Sources != "" {
		t.Errorf("documents switched off, but the answer cites: %q", last.Data.Sources)
	}
}
