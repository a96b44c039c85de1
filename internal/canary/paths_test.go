package canary

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"confidant/internal/softauthn"
	"confidant/internal/testclient"
)

// env is what a path gets: a signed-in client of the app and the canary
// strings it must write. Each path writes its canaries through the product's
// own HTTP surface, as a user would.
type env struct {
	c      *testclient.Client
	device *softauthn.Authenticator
	mark   func(name string) string // a fresh canary string, registered for the scan
	secret func(s string)           // registers a string derived from user content for the scan
	codes  *[]string                // recovery codes from sign-up
	user   string
	// mailbox is what the test's mail and calendar source hands out.
	mailbox *canaryMailbox
}

// path is one way user content enters the store.
type path struct {
	name  string
	write func(t tb, e *env)
}

// tb is the part of testing.TB the paths use.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

// paths lists every path that stores user content. Add yours here.
var paths = []path{
	{"connector credentials, synced mail and events", func(t tb, e *env) {
		e.mailbox.fill(e.mark("mail-folder"), e.mark("mail-subject"), e.mark("mail-body"), e.mark("event-summary"), e.mark("event-place"))
		e.c.Get("/connections")
		res, body := e.c.PostForm("/connections", url.Values{"kind": {"imap"}, "host": {"imap.example.org"}, "security": {"tls"},
			"username": {e.mark("connector-user")}, "password": {e.mark("connector-password")}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("connect: %d %s", res.StatusCode, body)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			_, page := e.c.Get("/connections")
			if strings.Contains(page, `data-status="idle"`) && strings.Contains(page, "2 items") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the connector never synced")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}},
	{"passkey name", func(t tb, e *env) {
		e.c.Get("/settings/passkeys")
		e.c.Ceremony("/settings/passkeys/begin", map[string]string{"name": e.mark("passkey-name")}, "/settings/passkeys/finish",
			testclient.Creates(softauthn.New(e.c.Base)))
	}},
	{"passkey rename", func(t tb, e *env) {
		_, body := e.c.Get("/settings/passkeys")
		id := firstPasskeyID(body)
		res, _ := e.c.PostForm("/settings/passkeys/"+id+"/rename", url.Values{"name": {e.mark("passkey-rename")}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("rename: %d", res.StatusCode)
		}
	}},
	{"session and activity user agent", func(t tb, e *env) {
		e.c.UserAgent = e.mark("user-agent")
		e.c.Get("/login")
		e.c.Ceremony("/auth/login/begin", map[string]string{"username": e.user}, "/auth/login/finish", e.device.Get)
	}},
	{"recovery", func(t tb, e *env) {
		e.c.Get("/recover")
		e.c.Ceremony("/auth/recover/begin", map[string]string{"username": e.user, "code": (*e.codes)[0]}, "/auth/recover/finish",
			testclient.Creates(softauthn.New(e.c.Base)))
	}},
	{"memory", func(t tb, e *env) {
		e.c.Get("/settings/memory")
		res, _ := e.c.PostForm("/settings/memory", url.Values{"text": {"Remember " + e.mark("memory")}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("add memory: %d", res.StatusCode)
		}
	}},
	{"chat message, answer and title", func(t tb, e *env) {
		e.c.Get("/")
		res, _ := e.c.PostForm("/c", url.Values{"content": {"Say " + e.mark("chat-message")}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("send: %d", res.StatusCode)
		}
		conv := res.Header.Get("Location")
		e.waitAnswers(conv)
		res, _ = e.c.PostForm(conv+"/rename", url.Values{"title": {e.mark("chat-title")}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("rename: %d", res.StatusCode)
		}
	}},
	{"OpenAI-compatible API chat", func(t tb, e *env) {
		key := e.c.CreateAPIKey(e.device, e.mark("api-key-name"), "chat")
		body := `{"model":"sim-chat","messages":[{"role":"user","content":"Say ` + e.mark("api-message") + `"}]}`
		req, _ := http.NewRequest(http.MethodPost, e.c.Base+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, out := e.c.Do(req)
		if res.StatusCode != http.StatusOK || !strings.Contains(string(out), "api-message") {
			t.Fatalf("completion: %d %s", res.StatusCode, out)
		}
	}},
	{"answer verification (signed text hashes the user's messages)", func(t tb, e *env) {
		e.c.Get("/")
		res, _ := e.c.PostForm("/c", url.Values{"content": {"Repeat " + e.mark("verified-message")}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("send: %d", res.StatusCode)
		}
		conv := res.Header.Get("Location")
		e.waitAnswers(conv)
		_, page := e.c.Get(conv)
		ids := answerIDPattern.FindAllStringSubmatch(page, -1)
		if len(ids) == 0 {
			t.Fatalf("no answer on %s", conv)
		}
		answer := ids[len(ids)-1][1]
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, ev := e.c.Get("/attestation/messages/" + answer)
			if m := signedTextPattern.FindStringSubmatch(ev); m != nil {
				e.secret(m[1]) // sha256 of the request, which holds the message
				e.secret(m[2]) // sha256 of the answer
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the answer's signature was never checked")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}},
	{"custom instructions", func(t tb, e *env) {
		e.c.Get("/settings/instructions")
		res, _ := e.c.PostForm("/settings/instructions", url.Values{"instructions": {e.mark("instructions")}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("save instructions: %d", res.StatusCode)
		}
	}},
	{"documents, chunks and search", func(t tb, e *env) {
		key := e.c.CreateAPIKey(e.device, "docs", "read", "write")
		doc := "# " + e.mark("doc-heading") + "\n\nThe vault code is " + e.mark("doc-text") + " and nothing else.\n"
		job := uploadDocuments(t, e, key, map[string]string{
			e.mark("doc-name") + ".md":     doc,
			e.mark("failed-name") + ".txt": "\xff\xfe\x00 not text",
		})
		waitJob(t, e, key, job)
		var found struct {
			Data []struct {
				Text string `json:"text"`
			} `json:"data"`
		}
		apiGetJSON(t, e, key, "/api/search?q="+url.QueryEscape("vault code "+e.mark("search-query")), &found)
		if len(found.Data) == 0 || !strings.Contains(found.Data[0].Text, "doc-text") {
			t.Fatalf("search did not find the document: %+v", found)
		}
	}},
	{"recovery code regeneration", func(t tb, e *env) {
		e.c.Get("/settings/recovery")
		out := e.c.Ceremony("/settings/recovery/begin", map[string]string{}, "/settings/recovery/finish", e.device.Get)
		*e.codes = append(*e.codes, out.RecoveryCodes...)
	}},
}

var (
	answerIDPattern   = regexp.MustCompile(`data-testid="turn-assistant"[\s\S]*?id="raw-([0-9a-f-]{36})"`)
	signedTextPattern = regexp.MustCompile(`data-testid="evidence-text">([0-9a-f]{64}):([0-9a-f]{64})<`)
)

// uploadDocuments posts files to /api/documents and returns the job id.
func uploadDocuments(t tb, e *env, key string, files map[string]string) string {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for name, content := range files {
		w, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		w.Write([]byte(content))
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.c.Base+"/api/documents", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+key)
	res, out := e.c.Do(req)
	var ans struct {
		Job struct {
			ID string `json:"id"`
		} `json:"job"`
	}
	if res.StatusCode != http.StatusAccepted || json.Unmarshal(out, &ans) != nil {
		t.Fatalf("upload: %d %s", res.StatusCode, out)
	}
	return ans.Job.ID
}

// waitJob polls a job until its documents are ingested or refused.
func waitJob(t tb, e *env, key, id string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var job struct {
			State string `json:"state"`
		}
		apiGetJSON(t, e, key, "/api/jobs/"+id, &job)
		if job.State == "done" || job.State == "failed" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s", job.State)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func apiGetJSON(t tb, e *env, key, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.c.Base+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, out := e.c.Do(req)
	if res.StatusCode != http.StatusOK || json.Unmarshal(out, v) != nil {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, out)
	}
}
