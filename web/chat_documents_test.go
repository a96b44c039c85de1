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

var collectionOption = regexp.MustCompile(`<option value="(collection:[0-9a-f-]{36})"[^>]*>Collection: House</option>`)

// A collection narrows what a chat (and /api/search) answers from to its
// documents; another user's collection cannot be used.
func TestChatAnswersFromCollection(t *testing.T) {
	srv := start(t)
	c := testclient.New(t, srv)
	device := softauthn.New(srv.URL)
	c.SignUp(device, "hugo", "Hugo")
	key := c.CreateAPIKey(device, "docs", "read", "write")
	files := map[string][]byte{
		"boiler.md": []byte("# Boiler\n\nThe boiler pressure should sit at 1.5 bar when cold.\n"),
		"bike.md":   []byte("# Bike\n\nThe bike tyre pressure should sit at 4 bar for the road.\n"),
	}
	code, up := upload(t, srv, key, files, "boiler.md", "bike.md")
	if code != http.StatusAccepted {
		t.Fatalf("upload: %d", code)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var job apiJobAnswer
		apiGet(t, srv, key, "/api/jobs/"+up.Job.ID, &job)
		if job.State == "done" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ingestion: %+v", job)
		}
	}
	c.Get("/documents")
	if res, _ := c.PostForm("/documents/collections", url.Values{"name": {"House"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create collection: %d", res.StatusCode)
	}
	_, page := c.Get("/documents")
	var docs struct {
		Data []apiDoc `json:"data"`
	}
	apiGet(t, srv, key, "/api/documents", &docs)
	var boilerForm string
	for _, d := range docs.Data {
		if d.Name == "boiler.md" && strings.Contains(page, `action="/documents/`+d.ID+`/collection"`) {
			boilerForm = "/documents/" + d.ID
		}
	}
	colID := regexp.MustCompile(`action="/documents/collections/([0-9a-f-]{36})/delete"`).FindStringSubmatch(page)
	if boilerForm == "" || colID == nil {
		t.Fatalf("no move form for boiler.md or no collection on the page")
	}
	if res, _ := c.PostForm(boilerForm+"/collection", url.Values{"collection": {colID[1]}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("move: %d", res.StatusCode)
	}

	var found struct {
		Data []struct {
			DocumentName string `json:"document_name"`
		} `json:"data"`
	}
	apiGet(t, srv, key, "/api/search?q=pressure+should+sit&collection_id="+colID[1], &found)
	if len(found.Data) == 0 {
		t.Fatal("search in the collection found nothing")
	}
	for _, p := range found.Data {
		if p.DocumentName != "boiler.md" {
			t.Errorf("search in the collection found %s", p.DocumentName)
		}
	}

	_, page = c.Get("/")
	opt := collectionOption.FindStringSubmatch(page)
	if opt == nil {
		t.Fatal("the new-chat picker does not offer the collection")
	}
	res, _ := c.PostForm("/c", url.Values{"content": {"What pressure should it sit at?"}, "documents": {opt[1]}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d", res.StatusCode)
	}
	conv := res.Header.Get("Location")
	_, page = c.Get(conv)
	_, events := readStream(t, c, lastAnswerStream(t, conv, page), "")
	sources := events[len(events)-1].Data.Sources
	if !strings.Contains(sources, "boiler.md") || strings.Contains(sources, "bike.md") {
		t.Errorf("an answer from the collection cites %q", sources)
	}

	other := testclient.New(t, srv)
	other.SignUp(softauthn.New(srv.URL), "nina", "Nina")
	other.Get("/")
	if res, _ := other.PostForm("/c", url.Values{"content": {"hi"}, "documents": {opt[1]}}); res.StatusCode != http.StatusBadRequest {
		t.Errorf("another user's collection was accepted: %d", res.StatusCode)
	}
	other.Get("/documents")
	if res, _ := other.PostForm("/documents/collections/"+colID[1]+"/delete", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("another user deleted the collection: %d", res.StatusCode)
	}
}
