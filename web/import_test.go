package web_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"confidant/internal/softauthn"
	"confidant/internal/testclient"
	"confidant/internal/testserver"
)

type apiImportAnswer struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	State    string `json:"state"`
	Format   string `json:"format"`
	Progress struct {
		Done  int `json:"done"`
		Total int `json:"total"`
	} `json:"progress"`
	Counts map[string]int `json:"counts"`
	Error  *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func importSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "portability", "importer", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// multipartImport builds an import form; fields are (name, value) pairs
// in order, the file under "file".
func multipartImport(t *testing.T, fileName string, data []byte, fields ...[2]string) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fields {
		if f[0] == "file" {
			w, _ := mw.CreateFormFile("file", fileName)
			w.Write(data)
			continue
		}
		mw.WriteField(f[0], f[1])
	}
	mw.Close()
	return &body, mw.FormDataContentType()
}

func postImport(t *testing.T, srv *testserver.Server, key, fileName string, data []byte, fields ...[2]string) (*http.Response, apiImportAnswer, []byte) {
	t.Helper()
	if len(fields) == 0 {
		fields = [][2]string{{"file", ""}}
	}
	body, ctype := multipartImport(t, fileName, data, fields...)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/import", body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var raw bytes.Buffer
	raw.ReadFrom(res.Body)
	var out apiImportAnswer
	json.Unmarshal(raw.Bytes(), &out)
	return res, out, raw.Bytes()
}

func getJSON(t *testing.T, srv *testserver.Server, key, path string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		json.NewDecoder(res.Body).Decode(out)
	}
	return res.StatusCode
}

func waitImport(t *testing.T, srv *testserver.Server, key, id string) apiImportAnswer {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var job apiImportAnswer
		if code := getJSON(t, srv, key, "/api/jobs/"+id, &job); code != http.StatusOK {
			t.Fatalf("GET job: %d", code)
		}
		if job.State == "done" || job.State == "failed" {
			return job
		}
		if time.Now().After(deadline) {
			t.Fatalf("import still %s", job.State)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestImportAPI(t *testing.T) {
	srv := start(t)
	alice := testclient.New(t, srv)
	device := softauthn.New(srv.URL)
	alice.SignUp(device, "alice", "Alice")
	key := alice.CreateAPIKey(device, "import", "read", "write")
	readOnly := alice.CreateAPIKey(device, "reader", "read")
	bob := testclient.New(t, srv)
	bobDevice := softauthn.New(srv.URL)
	bob.SignUp(bobDevice, "bob", "Bob")
	bobKey := bob.CreateAPIKey(bobDevice, "bob", "read", "write")

	data := importSample(t, "chatgpt_export.zip")
	res, job, raw := postImport(t, srv, key, "chatgpt-export.zip", data)
	if res.StatusCode != http.StatusAccepted || job.State != "queued" || job.Kind != "import" || res.Header.Get("Location") != "/api/jobs/"+job.ID {
		t.Fatalf("POST /api/import: %d %s (Location %q)", res.StatusCode, raw, res.Header.Get("Location"))
	}
	done := waitImport(t, srv, key, job.ID)
	if done.State != "done" || done.Format != "chatgpt" || done.Counts["conversations"] != 2 || done.Counts["messages"] != 10 ||
		done.Progress.Done != 3 || done.Progress.Total != 3 || done.Error != nil {
		t.Fatalf("finished job = %+v", done)
	}

	// The conversations are alice's like any other, every branch included.
	var convs struct {
		Data []struct {
			ID        string    `json:"id"`
			Title     string    `json:"title"`
			UpdatedAt time.Time `json:"updated_at"`
		} `json:"data"`
	}
	getJSON(t, srv, key, "/api/conversations", &convs)
	if len(convs.Data) != 1 || convs.Data[0].Title != "Trip to Kyoto 🗾" || convs.Data[0].UpdatedAt.Year() != 2024 {
		t.Fatalf("conversations = %+v", convs.Data)
	}
	var conv struct {
		Messages []struct {
			ID       string  `json:"id"`
			ParentID *string `json:"parent_id"`
			Content  string  `json:"content"`
		} `json:"messages"`
	}
	getJSON(t, srv, key, "/api/conversations/"+convs.Data[0].ID, &conv)
	roots := 0
	for _, m := range conv.Messages {
		if m.ParentID == nil {
			roots++
		}
	}
	if len(conv.Messages) != 7 || roots != 2 {
		t.Fatalf("conversation has %d messages, %d roots", len(conv.Messages), roots)
	}

	// Twice: nothing new.
	_, again, _ := postImport(t, srv, key, "conversations.json", importSample(t, "chatgpt_conversations.json"))
	if a := waitImport(t, srv, key, again.ID); a.Counts["conversations"] != 0 || a.Counts["conversations_skipped"] != 2 || a.Counts["messages_skipped"] != 10 {
		t.Fatalf("second import = %+v", a)
	}

	// Owner checks and scopes.
	if code := getJSON(t, srv, bobKey, "/api/jobs/"+job.ID, nil); code != http.StatusNotFound {
		t.Errorf("bob reads alice's import: %d", code)
	}
	if code := getJSON(t, srv, key, "/api/jobs/not-a-uuid", nil); code != http.StatusNotFound {
		t.Errorf("bad job id: %d", code)
	}
	if res, _, _ := postImport(t, srv, readOnly, "c.json", data); res.StatusCode != http.StatusForbidden {
		t.Errorf("read-only key imports: %d", res.StatusCode)
	}

	// Refusals: clear errors, nothing queued.
	for _, tt := range []struct {
		name   string
		data   []byte
		fields [][2]string
		status int
		code   string
	}{
		{"not an export", []byte("%PDF-1.7 not a chat export"), nil, http.StatusUnprocessableEntity, "unknown_format"},
		{"empty", []byte{}, nil, http.StatusUnprocessableEntity, "empty"},
		{"bundle without passphrase", []byte("age-encryption.org/v1\n-> scrypt abc 18\n"), nil, http.StatusUnprocessableEntity, "passphrase_required"},
		{"no file", nil, [][2]string{{"passphrase", "x"}}, http.StatusBadRequest, "bad_request"},
	} {
		res, _, raw := postImport(t, srv, key, "f", tt.data, tt.fields...)
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		json.Unmarshal(raw, &e)
		if res.StatusCode != tt.status || e.Error.Code != tt.code || e.Error.Message == "" {
			t.Errorf("%s: %d %s", tt.name, res.StatusCode, raw)
		}
	}
	// A bundle with its passphrase after the file is accepted; this one is
	// not a real bundle, so the job fails, in plain words.
	res, bundle, raw := postImport(t, srv, key, "backup.age", []byte("age-encryption.org/v1\n-> scrypt abc 18\nxyz\n--- abc\n"),
		[2]string{"file", ""}, [2]string{"passphrase", "correct horse"})
	if res.StatusCode != http.StatusAccepted || bundle.Format != "confidant" {
		t.Fatalf("bundle: %d %s", res.StatusCode, raw)
	}
	if b := waitImport(t, srv, key, bundle.ID); b.State != "failed" || b.Error == nil || b.Error.Code != "unknown_format" {
		t.Fatalf("bundle job = %+v", b)
	}
	if strings.Contains(srv.Logs.String(), "correct horse") || strings.Contains(srv.Logs.String(), "Kyoto") {
		t.Error("the log holds a passphrase or imported content")
	}
}

// TestJobsServesDocumentUploads: GET /api/jobs/{id} still answers a
// document upload's job in its own shape.
func TestJobsServesDocumentUploads(t *testing.T) {
	srv := start(t)
	alice := testclient.New(t, srv)
	device := softauthn.New(srv.URL)
	alice.SignUp(device, "alice", "Alice")
	key := alice.CreateAPIKey(device, "docs", "read", "write")
	code, up := upload(t, srv, key, map[string][]byte{"notes.md": []byte("# Notes\n\nSome text.")}, "notes.md")
	if code != http.StatusAccepted || up.Job == nil {
		t.Fatalf("upload: %d", code)
	}
	var job apiJobAnswer
	if c := getJSON(t, srv, key, "/api/jobs/"+up.Job.ID, &job); c != http.StatusOK || job.ID != up.Job.ID || job.Total != 1 || len(job.Documents) != 1 {
		t.Fatalf("document job: %d %+v", c, job)
	}
}

// TestImportPageWithoutJavaScript posts the page's form as a plain
// browser would (CSRF token in the form) and follows it to the result.
func TestImportPageWithoutJavaScript(t *testing.T) {
	srv := start(t)
	c := testclient.New(t, srv)
	device := softauthn.New(srv.URL)
	c.SignUp(device, "carol", "Carol")
	if res, page := c.Get("/settings/import"); res.StatusCode != http.StatusOK || !strings.Contains(page, `data-testid="import-form"`) {
		t.Fatalf("import page: %d", res.StatusCode)
	}
	body, ctype := multipartImport(t, "claude.zip", importSample(t, "claude_export.zip"), [2]string{"_csrf", c.CSRF}, [2]string{"file", ""})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/settings/import", body)
	req.Header.Set("Content-Type", ctype)
	res, out := c.Do(req)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/settings/import?job=") {
		t.Fatalf("form post: %d %s", res.StatusCode, out)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, page := c.Get(loc)
		if strings.Contains(page, `data-state="done"`) {
			if !strings.Contains(page, "Imported 2 conversations (7 messages), left out 1 empty conversation.") {
				t.Fatalf("summary missing: %s", page)
			}
			break
		}
		if time.Now().After(deadline) || strings.Contains(page, `data-state="failed"`) {
			t.Fatalf("import did not finish: %s", page)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A refused file: the page says why, in plain words.
	body, ctype = multipartImport(t, "notes.txt", []byte("just some notes"), [2]string{"_csrf", c.CSRF}, [2]string{"file", ""})
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/settings/import", body)
	req.Header.Set("Content-Type", ctype)
	res, out = c.Do(req)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(out), "not an export this app can import") {
		t.Fatalf("refused file: %d", res.StatusCode)
	}
	// Another user's job is not found.
	other := testclient.New(t, srv)
	other.SignUp(softauthn.New(srv.URL), "dave", "Dave")
	if res, _ := other.Get(strings.Replace(loc, "/settings/import?job=", "/settings/import/jobs/", 1)); res.StatusCode != http.StatusNotFound {
		t.Errorf("dave sees carol's import: %d", res.StatusCode)
	}
}
