package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"confidant/internal/softauthn"
	"confidant/internal/testclient"
	"confidant/internal/testserver"
)

// apiSend calls the JSON API with a bearer key and a JSON body.
func apiSend(t *testing.T, srv *testserver.Server, key, method, path string, body any, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		_ = json.NewDecoder(res.Body).Decode(out)
	}
	return res.StatusCode
}

type apiMemory struct {
	ID     string `json:"id"`
	Text   string `json:"text"`
	Kind   string `json:"kind"`
	Merged bool   `json:"merged"`
	Error  struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func TestMemoriesAPI(t *testing.T) {
	srv := start(t)
	alice := testclient.New(t, srv)
	device := softauthn.New(srv.URL)
	alice.SignUp(device, "alice", "Alice")
	key := alice.CreateAPIKey(device, "rw", "read", "write")
	readOnly := alice.CreateAPIKey(device, "ro", "read")
	bob := testclient.New(t, srv)
	bobDevice := softauthn.New(srv.URL)
	bob.SignUp(bobDevice, "bob", "Bob")
	bobKey := bob.CreateAPIKey(bobDevice, "rw", "read", "write")

	var m apiMemory
	if code := apiSend(t, srv, key, http.MethodPost, "/api/memories", map[string]string{"text": "Is vegetarian since 2019"}, &m); code != http.StatusCreated || m.ID == "" || m.Kind != "manual" {
		t.Fatalf("add: %d %+v", code, m)
	}
	var again apiMemory
	if code := apiSend(t, srv, key, http.MethodPost, "/api/memories", map[string]string{"text": "is vegetarian since 2019 "}, &again); code != http.StatusOK || !again.Merged || again.ID != m.ID {
		t.Errorf("near duplicate: %d %+v", code, again)
	}
	var bad apiMemory
	if code := apiSend(t, srv, key, http.MethodPost, "/api/memories", map[string]string{"text": "  "}, &bad); code != http.StatusBadRequest || bad.Error.Message == "" {
		t.Errorf("empty memory: %d %+v", code, bad)
	}
	if code := apiSend(t, srv, readOnly, http.MethodPost, "/api/memories", map[string]string{"text": "x"}, nil); code != http.StatusForbidden {
		t.Errorf("read-only key added a memory: %d", code)
	}

	var edited apiMemory
	if code := apiSend(t, srv, key, http.MethodPatch, "/api/memories/"+m.ID, map[string]string{"text": "Is vegan since 2024"}, &edited); code != http.StatusOK || edited.Text != "Is vegan since 2024" {
		t.Errorf("edit: %d %+v", code, edited)
	}
	var found struct {
		Data []apiMemory `json:"data"`
	}
	if code := apiGet(t, srv, readOnly, "/api/memories?q=vegan", &found); code != http.StatusOK || len(found.Data) != 1 {
		t.Errorf("search: %d %+v", code, found)
	}

	// Bob sees nothing of Alice's and can change nothing.
	var bobs struct {
		Data []apiMemory `json:"data"`
	}
	apiGet(t, srv, bobKey, "/api/memories", &bobs)
	if len(bobs.Data) != 0 {
		t.Errorf("bob lists alice's memories: %+v", bobs.Data)
	}
	if code := apiSend(t, srv, bobKey, http.MethodPatch, "/api/memories/"+m.ID, map[string]string{"text": "hijacked"}, nil); code != http.StatusNotFound {
		t.Errorf("bob edited alice's memory: %d", code)
	}
	if code := apiSend(t, srv, bobKey, http.MethodDelete, "/api/memories/"+m.ID, nil, nil); code != http.StatusNotFound {
		t.Errorf("bob deleted alice's memory: %d", code)
	}
	if code := apiSend(t, srv, key, http.MethodDelete, "/api/memories/"+m.ID, nil, nil); code != http.StatusNoContent {
		t.Errorf("delete: %d", code)
	}
	var none struct {
		Data []apiMemory `json:"data"`
	}
	apiGet(t, srv, key, "/api/memories", &none)
	if len(none.Data) != 0 {
		t.Errorf("deleted memory still listed: %+v", none.Data)
	}
}

func TestMemoryPage(t *testing.T) {
	srv := start(t)
	c := testclient.New(t, srv)
	c.SignUp(softauthn.New(srv.URL), "carol", "Carol")
	_, body := c.Get("/settings/memory")
	if !strings.Contains(body, "Nothing remembered yet") {
		t.Fatalf("no empty state")
	}
	res, _ := c.PostForm("/settings/memory", url.Values{"text": {"Plays the cello <b>badly</b>"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d", res.StatusCode)
	}
	_, body = c.Get("/settings/memory?done=added")
	if !strings.Contains(body, "Plays the cello &lt;b&gt;badly&lt;/b&gt;") || !strings.Contains(body, "Remembered.") {
		t.Errorf("memory not listed, or not escaped")
	}
	res, _ = c.PostForm("/settings/memory/pause", url.Values{"paused": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("pause: %d", res.StatusCode)
	}
	_, body = c.Get("/settings/memory")
	if !strings.Contains(body, `data-testid="memory-paused"`) {
		t.Errorf("paused state not shown")
	}
	// Without the CSRF token nothing changes.
	c.CSRF = "wrong"
	res, _ = c.PostForm("/settings/memory", url.Values{"text": {"forged"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("forged add: %d", res.StatusCode)
	}
}

// memoryTexts lists the user's memories through the API.
func memoryTexts(t *testing.T, srv *testserver.Server, key string) []string {
	t.Helper()
	var out struct {
		Data []apiMemory `json:"data"`
	}
	apiGet(t, srv, key, "/api/memories", &out)
	var texts []string
	for _, m := range out.Data {
		texts = append(texts, m.Text)
	}
	return texts
}

// waitForMemory polls until a memory with text exists, or fails.
func waitForMemory(t *testing.T, srv *testserver.Server, key, text string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if slices.Contains(memoryTexts(t, srv, key), text) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("memory %q never appeared; have %q", text, memoryTexts(t, srv, key))
}

// A chat learns what the person asks it to remember, and a later chat is
// given it and says so; a temporary chat neither learns nor recalls.
func TestChatRemembersAndRecalls(t *testing.T) {
	srv := start(t)
	c := testclient.New(t, srv)
	device := softauthn.New(srv.URL)
	c.SignUp(device, "rosa", "Rosa")
	key := c.CreateAPIKey(device, "read", "read")
	c.Get("/")

	conv, page := send(t, c, "/c", "Remember that my favourite colour is teal.")
	readStream(t, c, lastAnswerStream(t, conv, page), "")
	waitForMemory(t, srv, key, "My favourite colour is teal")

	// A temporary chat learns nothing…
	res, _ := c.PostForm("/c", url.Values{"content": {"Remember that I own a red canoe."}, "temporary": {"1"}})
	tmp := res.Header.Get("Location")
	_, page = c.Get(tmp)
	if !strings.Contains(page, `data-testid="temporary-tag"`) {
		t.Error("a temporary chat is not marked")
	}
	readStream(t, c, lastAnswerStream(t, tmp, page), "")
	// …and is given nothing.
	_, page = send(t, c, tmp+"/messages", "Which colour should my favourite teal scarf be?")
	_, events := readStream(t, c, lastAnswerStream(t, tmp, page), "")
	if last := events[len(events)-1]; strings.Contains(last.Data.Memories, "teal") {
		t.Errorf("a temporary chat was given memories: %s", last.Data.Memories)
	}

	// A new chat is given the memory, and the page says which one.
	conv, page = send(t, c, "/c", "What is my favourite colour, teal or red?")
	_, events = readStream(t, c, lastAnswerStream(t, conv, page), "")
	if last := events[len(events)-1]; !strings.Contains(last.Data.Memories, "My favourite colour is teal") {
		t.Errorf("the end event does not list the memory used: %q", last.Data.Memories)
	}
	_, page = c.Get(conv)
	if !strings.Contains(page, `data-testid="turn-memory"`) || !strings.Contains(page, "My favourite colour is teal") {
		t.Error("the answer does not show the memory it used")
	}
	if texts := memoryTexts(t, srv, key); slices.Contains(texts, "I own a red canoe") {
		t.Errorf("the temporary chat was remembered: %q", texts)
	}

	// Paused memory neither recalls nor learns.
	c.PostForm("/settings/memory/pause", url.Values{"paused": {"1"}})
	conv, page = send(t, c, "/c", "Remember that I sing in a choir. What is my favourite colour?")
	_, events = readStream(t, c, lastAnswerStream(t, conv, page), "")
	if last := events[len(events)-1]; last.Data.Memories != "" {
		t.Errorf("paused memory was recalled: %q", last.Data.Memories)
	}
	time.Sleep(300 * time.Millisecond)
	if texts := memoryTexts(t, srv, key); slices.Contains(texts, "I sing in a choir") {
		t.Errorf("paused memory learned: %q", texts)
	}
}

// The JSON API takes the CSRF token from the header only: a form field is
// not even read (that would parse an upload before authentication).
func TestAPICSRFHeaderOnly(t *testing.T) {
	srv := start(t)
	c := testclient.New(t, srv)
	c.SignUp(softauthn.New(srv.URL), "olga", "Olga")
	c.Get("/settings/memory")
	if res, _ := c.PostForm("/api/memories", url.Values{"text": {"from a form"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("API write with the token in a form field: %d, want 403", res.StatusCode)
	}
	if res, _ := c.PostJSON("/api/memories", []byte(`{"text":"from fetch"}`)); res.StatusCode != http.StatusCreated {
		t.Errorf("API write with the token in the header: %d, want 201", res.StatusCode)
	}
}
