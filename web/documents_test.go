package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"confidant/internal/softauthn"
	"confidant/internal/testclient"
	"confidant/internal/testserver"
)

type apiDoc struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	Status      string `json:"status"`
	ChunksTotal int    `json:"chunks_total"`
	ChunksDone  int    `json:"chunks_done"`
	Error       *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type apiUploadAnswer struct {
	Job *struct {
		ID    string `json:"id"`
		State string `json:"state"`
	} `json:"job"`
	Documents []apiDoc `json:"documents"`
	Error     *struct {
		Code string `json:"code"`
	} `json:"error"`
}

type apiJobAnswer struct {
	ID          string   `json:"id"`
	State       string   `json:"state"`
	Total       int      `json:"documents_total"`
	Ready       int      `json:"documents_ready"`
	Failed      int      `json:"documents_failed"`
	ChunksDone  int      `json:"chunks_done"`
	ChunksTotal int      `json:"chunks_total"`
	Documents   []apiDoc `json:"documents"`
}

// upload posts files from rag/testdata/files (or given contents) as
// multipart "file" parts with a bearer key.
func upload(t *testing.T, srv *testserver.Server, key string, files map[string][]byte, order ...string) (int, apiUploadAnswer) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, name := range order {
		data, ok := files[name]
		if !ok {
			var err error
			if data, err = os.ReadFile(filepath.Join("..", "rag", "testdata", "files", name)); err != nil {
				t.Fatal(err)
			}
		}
		w, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/documents", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out apiUploadAnswer
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("upload: %d %s", res.StatusCode, raw)
	}
	return res.StatusCode, out
}

func apiDo(t *testing.T, srv *testserver.Server, key, method, path string) int {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestDocumentsAPI(t *testing.T) {
	srv := start(t)
	alice := testclient.New(t, srv)
	device := softauthn.New(srv.URL)
	alice.SignUp(device, "alice", "Alice")
	key := alice.CreateAPIKey(device, "docs", "read", "write")
	readOnly := alice.CreateAPIKey(device, "reader", "read")
	bob := testclient.New(t, srv)
	bobDevice := softauthn.New(srv.URL)
	bob.SignUp(bobDevice, "bob", "Bob")
	bobKey := bob.CreateAPIKey(bobDevice, "bob", "read", "write")

	extra := map[string][]byte{"photo.png": {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0}}
	status, up := upload(t, srv, key, extra, "guide.md", "notes.docx", "report.pdf", "encrypted.pdf", "photo.png")
	if status != http.StatusAccepted || up.Job == nil || up.Job.State != "queued" || len(up.Documents) != 5 {
		t.Fatalf("upload: %d %+v", status, up)
	}
	if d := up.Documents[4]; d.Status != "rejected" || d.Error == nil || d.Error.Code != "unsupported_type" || d.ID != "" {
		t.Fatalf("png not refused: %+v", d)
	}
	if d := up.Documents[0]; d.Status != "queued" || d.Type != "markdown" || d.ID == "" {
		t.Fatalf("guide.md: %+v", d)
	}

	// Refused without the write scope, and with nothing uploadable.
	if status, _ := upload(t, srv, readOnly, nil, "guide.md"); status != http.StatusForbidden {
		t.Fatalf("read-only key uploads: %d", status)
	}
	if status, ans := upload(t, srv, key, extra, "photo.png"); status != http.StatusUnprocessableEntity || ans.Error == nil || ans.Error.Code != "no_documents" {
		t.Fatalf("only bad files: %d %+v", status, ans)
	}

	// Poll the job until it ends.
	var job apiJobAnswer
	deadline := time.Now().Add(60 * time.Second)
	for {
		if code := apiGet(t, srv, key, "/api/jobs/"+up.Job.ID, &job); code != http.StatusOK {
			t.Fatalf("job: %d", code)
		}
		if job.State == "done" || job.State == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s", job.State)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if job.State != "done" || job.Total != 4 || job.Ready != 3 || job.Failed != 1 || job.ChunksDone != job.ChunksTotal {
		t.Fatalf("job: %+v", job)
	}
	for _, d := range job.Documents {
		if d.Name == "encrypted.pdf" && (d.Status != "failed" || d.Error == nil || d.Error.Code != "encrypted") {
			t.Fatalf("encrypted.pdf: %+v", d)
		}
	}
	if code := apiGet(t, srv, bobKey, "/api/jobs/"+up.Job.ID, nil); code != http.StatusNotFound {
		t.Fatalf("bob reads alice's job: %d", code)
	}

	var docs struct {
		Data       []apiDoc `json:"data"`
		NextCursor string   `json:"next_cursor"`
	}
	if code := apiGet(t, srv, key, "/api/documents?limit=2", &docs); code != http.StatusOK || len(docs.Data) != 2 || docs.NextCursor == "" {
		t.Fatalf("list: %d %+v", code, docs)
	}
	first := append([]apiDoc(nil), docs.Data...)
	if code := apiGet(t, srv, key, "/api/documents?limit=2&cursor="+url.QueryEscape(docs.NextCursor), &docs); code != http.StatusOK || len(docs.Data) != 2 || docs.NextCursor != "" {
		t.Fatalf("list page 2: %d %+v", code, docs)
	}
	if first[0].ID == docs.Data[0].ID {
		t.Fatal("page 2 repeats page 1")
	}

	var found struct {
		Data []struct {
			DocumentID   string  `json:"document_id"`
			DocumentName string  `json:"document_name"`
			ChunkID      string  `json:"chunk_id"`
			Text         string  `json:"text"`
			Score        float64 `json:"score"`
		} `json:"data"`
	}
	if code := apiGet(t, srv, readOnly, "/api/search?q="+url.QueryEscape("tram to the castle"), &found); code != http.StatusOK {
		t.Fatalf("search: %d", code)
	}
	if len(found.Data) == 0 || found.Data[0].DocumentName != "notes.docx" || found.Data[0].ChunkID == "" || found.Data[0].Score <= 0 {
		t.Fatalf("search: %+v", found)
	}
	notesID := found.Data[0].DocumentID
	chunkID := found.Data[0].ChunkID

	// A citation opens the passage: as JSON and as a page, to its owner only.
	var passage struct {
		ChunkID      string `json:"chunk_id"`
		DocumentName string `json:"document_name"`
		Heading      string `json:"heading"`
		Text         string `json:"text"`
	}
	if code := apiGet(t, srv, readOnly, "/api/passages/"+chunkID, &passage); code != http.StatusOK ||
		passage.ChunkID != chunkID || passage.Heading != "Travel notes > Lisbon" || !strings.Contains(passage.Text, "number 28") {
		t.Fatalf("passage: %d %+v", code, passage)
	}
	if code := apiGet(t, srv, bobKey, "/api/passages/"+chunkID, nil); code != http.StatusNotFound {
		t.Fatalf("bob reads alice's passage: %d", code)
	}
	if res, body := alice.Get("/passages/" + chunkID); res.StatusCode != http.StatusOK || !strings.Contains(body, "number 28 climbs") || !strings.Contains(body, "notes.docx") {
		t.Fatalf("passage page: %d", res.StatusCode)
	}
	if res, body := bob.Get("/passages/" + chunkID); res.StatusCode != http.StatusNotFound || strings.Contains(body, "number 28") {
		t.Fatalf("bob opens alice's passage page: %d", res.StatusCode)
	}
	if code := apiGet(t, srv, bobKey, "/api/search?q="+url.QueryEscape("tram to the castle"), &found); code != http.StatusOK || len(found.Data) != 0 {
		t.Fatalf("bob finds alice's passages: %d %+v", code, found)
	}

	// Delete: not by bob, not with a read-only key; then gone from search.
	if code := apiDo(t, srv, bobKey, http.MethodDelete, "/api/documents/"+notesID); code != http.StatusNotFound {
		t.Fatalf("bob deletes alice's document: %d", code)
	}
	if code := apiDo(t, srv, readOnly, http.MethodDelete, "/api/documents/"+notesID); code != http.StatusForbidden {
		t.Fatalf("read-only key deletes: %d", code)
	}
	if code := apiDo(t, srv, key, http.MethodDelete, "/api/documents/"+notesID); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if code := apiDo(t, srv, key, http.MethodDelete, "/api/documents/"+notesID); code != http.StatusNotFound {
		t.Fatalf("delete again: %d", code)
	}
	if apiGet(t, srv, key, "/api/search?q="+url.QueryEscape("tram to the castle"), &found); len(found.Data) > 0 && found.Data[0].DocumentID == notesID {
		t.Fatalf("deleted document still found: %+v", found)
	}
	if code := apiGet(t, srv, key, "/api/search?q=", nil); code != http.StatusBadRequest {
		t.Fatalf("empty query: %d", code)
	}
}
