package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"filippo.io/age"
	openai "github.com/sashabaranov/go-openai"

	"confidant/internal/softauthn"
	"confidant/internal/testclient"
	"confidant/internal/testserver"
	"confidant/portability/bundle"
)

// postExport calls POST /api/export with a bearer key and returns the
// status, the headers and the body.
func postExport(t *testing.T, srv *testserver.Server, key string, body string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/export", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, data
}

// bundleText decrypts an export and returns its manifest and every
// record's text joined, to search in.
func bundleText(t *testing.T, data []byte, id age.Identity) (bundle.Manifest, string) {
	t.Helper()
	r, err := bundle.NewEncryptedReader(bytes.NewReader(data), bundle.Limits{}, id)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return r.Manifest(), sb.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		line, _ := json.Marshal(rec)
		sb.Write(line)
		sb.WriteByte('\n')
	}
}

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Message == "" {
		t.Fatalf("not a JSON error: %s", body)
	}
	return e.Error.Code
}

func TestExportAPI(t *testing.T) {
	srv := start(t)
	ctx := context.Background()
	alice := testclient.New(t, srv)
	device := softauthn.New(srv.URL)
	alice.SignUp(device, "alice", "Alice")
	const canary = "Canary-export-api-7Qx"
	everything := alice.CreateAPIKey(device, "everything", "chat", "read", "write")
	exportKey := alice.CreateAPIKey(device, "backup", "export")

	if _, err := openaiClient(srv, everything).CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: "sim-chat",
		Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "Remember the boat " + canary}}}); err != nil {
		t.Fatal(err)
	}
	if code := apiSend(t, srv, everything, http.MethodPost, "/api/memories", map[string]string{"text": "Owns a boat " + canary}, nil); code != http.StatusCreated {
		t.Fatalf("add memory: %d", code)
	}

	// The scope is opt-in: a key without it, and the browser session, are refused.
	if code, _, body := postExport(t, srv, everything, `{"passphrase":"a long enough passphrase"}`); code != http.StatusForbidden || errorCode(t, body) != "insufficient_scope" {
		t.Fatalf("export without the scope: %d %s", code, body)
	}
	alice.Get("/settings/export")
	res, body := alice.PostJSON("/api/export", []byte(`{"passphrase":"a long enough passphrase"}`))
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("export with the browser session: %d %s", res.StatusCode, body)
	}

	for _, tt := range []struct {
		name, body, code string
		status           int
	}{
		{"no key", `{}`, "passphrase_or_recipient", http.StatusBadRequest},
		{"both keys", `{"passphrase":"a long enough passphrase","recipient":"age1x"}`, "passphrase_or_recipient", http.StatusBadRequest},
		{"short passphrase", `{"passphrase":"short"}`, "weak_passphrase", http.StatusBadRequest},
		{"not a recipient", `{"recipient":"ssh-ed25519 AAAAC3Nza"}`, "invalid_recipient", http.StatusBadRequest},
		{"bad recipient checksum", `{"recipient":"age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gp"}`, "invalid_recipient", http.StatusBadRequest},
		{"not JSON", `passphrase=x`, "", http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, hdr, body := postExport(t, srv, exportKey, tt.body)
			if code != tt.status || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
				t.Fatalf("%d %s %s", code, hdr.Get("Content-Type"), body)
			}
			if got := errorCode(t, body); tt.code != "" && got != tt.code {
				t.Fatalf("code %q, want %q", got, tt.code)
			}
		})
	}

	t.Run("passphrase", func(t *testing.T) {
		const pass = "correct horse battery staple"
		code, hdr, data := postExport(t, srv, exportKey, `{"passphrase":"`+pass+`"}`)
		if code != http.StatusOK || hdr.Get("Content-Type") != "application/octet-stream" ||
			!strings.HasPrefix(hdr.Get("Content-Disposition"), `attachment; filename="confidant-alice-`) {
			t.Fatalf("%d %v", code, hdr)
		}
		// Canary: nothing of the account is readable in the file.
		for _, plain := range []string{canary, "alice", "manifest.json", "conversations-"} {
			if bytes.Contains(data, []byte(plain)) {
				t.Fatalf("%q in plain text in the export", plain)
			}
		}
		wrong, _ := bundle.PassphraseIdentity("not the passphrase")
		if _, err := bundle.NewEncryptedReader(bytes.NewReader(data), bundle.Limits{}, wrong); !errors.Is(err, bundle.ErrWrongPassphrase) {
			t.Fatalf("wrong passphrase: %v", err)
		}
		id, _ := bundle.PassphraseIdentity(pass)
		m, text := bundleText(t, data, id)
		if m.User.Username != "alice" || m.Source.Origin != srv.URL || m.ConnectorCredentials {
			t.Fatalf("manifest = %+v", m)
		}
		if strings.Count(text, canary) < 3 { // the question, the memory, and the answer quoting it
			t.Fatalf("the export holds the canary %d times:\n%s", strings.Count(text, canary), text)
		}
		for _, name := range []string{"everything", "backup"} {
			if !strings.Contains(text, `"name":"`+name+`"`) {
				t.Fatalf("API key %q missing", name)
			}
		}
	})

	t.Run("age recipient", func(t *testing.T) {
		key, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		code, _, data := postExport(t, srv, exportKey, `{"recipient":"`+key.Recipient().String()+`"}`)
		if code != http.StatusOK {
			t.Fatalf("%d %s", code, data)
		}
		_, text := bundleText(t, data, key)
		if !strings.Contains(text, "Owns a boat "+canary) {
			t.Fatal("memory missing from the export")
		}
	})

	t.Run("another user's export holds only their own", func(t *testing.T) {
		bob := testclient.New(t, srv)
		bobDevice := softauthn.New(srv.URL)
		bob.SignUp(bobDevice, "bob", "Bob")
		bobKey := bob.CreateAPIKey(bobDevice, "bob backup", "export")
		key, _ := age.GenerateX25519Identity()
		code, _, data := postExport(t, srv, bobKey, `{"recipient":"`+key.Recipient().String()+`"}`)
		if code != http.StatusOK {
			t.Fatalf("%d %s", code, data)
		}
		m, text := bundleText(t, data, key)
		if m.User.Username != "bob" || strings.Contains(text, canary) || strings.Contains(text, "alice") {
			t.Fatalf("bob's export: %+v\n%s", m, text)
		}
	})
	if strings.Contains(srv.Logs.String(), canary) || strings.Contains(srv.Logs.String(), "correct horse") {
		t.Fatal("user content or the passphrase in the server log")
	}
}

// The browser flow: the form is checked, a passkey confirms, and the
// confirmation is redeemed once by the download post.
func TestExportSettingsFlow(t *testing.T) {
	srv := start(t)
	alice := testclient.New(t, srv)
	device := softauthn.New(srv.URL)
	alice.SignUp(device, "alice", "Alice")
	_, page := alice.Get("/settings/export")
	for _, want := range []string{`data-testid="export-form"`, `action="/settings/export/download"`, `data-testid="export-empty"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("export page lacks %s", want)
		}
	}

	begin := func(fields map[string]any) (*http.Response, []byte) {
		b, _ := json.Marshal(fields)
		return alice.PostJSON("/settings/export/begin", b)
	}
	for _, tt := range []struct {
		name   string
		fields map[string]any
		code   string
	}{
		{"passphrases differ", map[string]any{"mode": "passphrase", "passphrase": "correct horse battery", "passphrase_confirm": "correct horse battery!"}, "passphrase_mismatch"},
		{"short", map[string]any{"mode": "passphrase", "passphrase": "short", "passphrase_confirm": "short"}, "weak_passphrase"},
		{"empty", map[string]any{"mode": "passphrase"}, "weak_passphrase"},
		{"bad recipient", map[string]any{"mode": "recipient", "recipient": "age1nope"}, "invalid_recipient"},
		{"no recipient", map[string]any{"mode": "recipient", "passphrase": "correct horse battery", "passphrase_confirm": "correct horse battery"}, "invalid_recipient"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, body := begin(tt.fields)
			if res.StatusCode != http.StatusBadRequest || errorCode(t, body) != tt.code {
				t.Fatalf("%d %s", res.StatusCode, body)
			}
		})
	}

	key, _ := age.GenerateX25519Identity()
	// The passphrase field holds a leftover: the recipient mode ignores it.
	fields, _ := json.Marshal(map[string]any{"mode": "recipient", "recipient": key.Recipient().String(), "passphrase": "left over", "connector_credentials": "on"})
	// grant confirms an export with the passkey and returns its grant.
	grant := func() string {
		t.Helper()
		res, raw := alice.PostJSON("/settings/export/begin", fields)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("begin: %d %s", res.StatusCode, raw)
		}
		var ch testclient.Challenge
		if err := json.Unmarshal(raw, &ch); err != nil {
			t.Fatal(err)
		}
		assertion, err := device.Get(ch.Options)
		if err != nil {
			t.Fatal(err)
		}
		res, raw = alice.PostJSON("/settings/export/finish?ceremony="+ch.Ceremony, assertion)
		var fin struct {
			Grant   string `json:"export_grant"`
			Message string `json:"message"`
		}
		if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &fin) != nil || fin.Grant == "" || fin.Message == "" {
			t.Fatalf("finish: %d %s", res.StatusCode, raw)
		}
		return fin.Grant
	}

	// Another user cannot redeem the grant (and trying spends it).
	stolen := grant()
	mallory := testclient.New(t, srv)
	mallory.SignUp(softauthn.New(srv.URL), "mallory", "Mallory")
	mallory.Get("/settings/export")
	res, _ := mallory.PostForm("/settings/export/download", url.Values{"grant": {stolen}, "mode": {"recipient"}, "recipient": {key.Recipient().String()}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("mallory redeemed alice's grant: %d", res.StatusCode)
	}
	// A download with no grant at all.
	res, _ = alice.PostForm("/settings/export/download", url.Values{"mode": {"recipient"}, "recipient": {key.Recipient().String()}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("download without a grant: %d", res.StatusCode)
	}

	g := grant()
	// A grant for a recipient does not open a passphrase export.
	res, _ = alice.PostForm("/settings/export/download", url.Values{"grant": {g}, "mode": {"passphrase"}, "passphrase": {"correct horse battery"}, "passphrase_confirm": {"correct horse battery"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("grant for another mode: %d", res.StatusCode)
	}
	g = grant()
	form := url.Values{"grant": {g}, "mode": {"recipient"}, "recipient": {key.Recipient().String()}, "passphrase": {"left over"}}
	res, data := alice.PostForm("/settings/export/download", form)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("download: %d %s", res.StatusCode, data)
	}
	m, _ := bundleText(t, data, key)
	if m.User.Username != "alice" || !m.ConnectorCredentials {
		t.Fatalf("manifest = %+v", m)
	}
	// The grant is single-use.
	res, body := alice.PostForm("/settings/export/download", form)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "expired or was already used") {
		t.Fatalf("second download: %d", res.StatusCode)
	}
	// Without CSRF the download is refused.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/settings/export/download", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res, _ := alice.Do(req); res.StatusCode != http.StatusForbidden {
		t.Fatalf("download without CSRF: %d", res.StatusCode)
	}
}
