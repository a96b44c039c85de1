package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"confidant/connectors"
	"confidant/internal/softauthn"
	"confidant/internal/testclient"
	"confidant/internal/testserver"
)

// fixedSource is a test-only Source: one batch of two messages and one
// event, whatever the account.
type fixedSource struct{}

func (fixedSource) Sync(ctx context.Context, cursor []byte, sink connectors.Sink) error {
	if string(cursor) == "done" {
		return nil
	}
	day := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	return sink.Apply(ctx, connectors.Batch{
		Mail: []connectors.Mail{
			{Resource: "INBOX/1/1", Subject: "Quarterly numbers", From: "Carol <carol@example.org>", Date: day, Text: "See the attached figures."},
			{Resource: "INBOX/1/2", Subject: "Lunch?", From: "Dan <dan@example.org>", Date: day, Text: "Noon at the usual place."},
		},
		Events:   []connectors.Event{{Resource: "cal/1.ics", Summary: "Review", Start: day, End: day.Add(time.Hour)}},
		Cursor:   []byte("done"),
		Progress: connectors.Progress{Done: 2, Total: 2},
	})
}

func fixedSources() map[connectors.Kind]connectors.SourceFactory {
	f := func(connectors.Settings, connectors.Dialer, connectors.TokenSaver) (connectors.Source, error) {
		return fixedSource{}, nil
	}
	return map[connectors.Kind]connectors.SourceFactory{connectors.KindIMAP: f, connectors.KindCalDAV: f}
}

// apiCall calls the JSON API with a bearer key and returns the status and
// the raw body.
func apiCall(t *testing.T, srv *testserver.Server, key, method, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, srv.URL+path, r)
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

type apiConnectorList struct {
	Data []map[string]any `json:"data"`
}

func apiError(t *testing.T, raw []byte) (code, message string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("not a JSON error: %s", raw)
	}
	return e.Error.Code, e.Error.Message
}

func countRows(t *testing.T, srv *testserver.Server, query string) int {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), srv.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var n int
	if err := pool.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitConnector polls GET /api/connectors until the first connector's
// status is want.
func waitConnector(t *testing.T, srv *testserver.Server, key, want string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var list apiConnectorList
		status, raw := apiCall(t, srv, key, http.MethodGet, "/api/connectors", nil)
		if status != http.StatusOK || json.Unmarshal(raw, &list) != nil {
			t.Fatalf("list: %d %s", status, raw)
		}
		if len(list.Data) > 0 && list.Data[0]["status"] == want {
			return list.Data[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("connector never %s: %s", want, raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestConnectorsAPI(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Connectors: fixedSources()})
	alice := testclient.New(t, srv)
	device := softauthn.New(srv.URL)
	alice.SignUp(device, "alice", "Alice")
	rw := alice.CreateAPIKey(device, "sync", "read", "write")
	ro := alice.CreateAPIKey(device, "reader", "read")
	connect := map[string]any{"kind": "imap", "host": "imap.example.org", "port": 993, "security": "tls", "username": "alice", "password": "app-password-1"}

	if status, raw := apiCall(t, srv, ro, http.MethodPost, "/api/connectors", connect); status != http.StatusForbidden {
		t.Fatalf("POST with a read-only key: %d %s", status, raw)
	}
	status, raw := apiCall(t, srv, rw, http.MethodPost, "/api/connectors", connect)
	if status != http.StatusCreated {
		t.Fatalf("POST: %d %s", status, raw)
	}
	var created map[string]any
	_ = json.Unmarshal(raw, &created)
	id, _ := created["id"].(string)
	if created["kind"] != "imap" || created["status"] != "syncing" || id == "" || strings.Contains(string(raw), "app-password-1") {
		t.Fatalf("created = %s", raw)
	}

	got := waitConnector(t, srv, ro, "idle")
	for _, field := range []string{"id", "kind", "status", "last_sync", "items"} {
		if _, ok := got[field]; !ok {
			t.Fatalf("connector lacks %q: %v", field, got)
		}
	}
	if got["id"] != id || got["kind"] != "imap" || got["items"] != float64(3) || got["last_sync"] == nil || got["error"] != nil {
		t.Fatalf("connector = %v", got)
	}
	if _, err := time.Parse(time.RFC3339Nano, got["last_sync"].(string)); err != nil {
		t.Fatalf("last_sync %v: %v", got["last_sync"], err)
	}
	if caps, _ := got["capabilities"].([]any); len(caps) != 2 || caps[0] != "read" || caps[1] != "propose" {
		t.Fatalf("capabilities = %v", got["capabilities"])
	}

	if status, raw := apiCall(t, srv, rw, http.MethodPost, "/api/connectors/"+id+"/sync", nil); status != http.StatusAccepted {
		t.Fatalf("sync: %d %s", status, raw)
	}
	// Right after a sync, another is coalesced: still 202.
	if status, raw := apiCall(t, srv, rw, http.MethodPost, "/api/connectors/"+id+"/sync", nil); status != http.StatusAccepted {
		t.Fatalf("second sync: %d %s", status, raw)
	}
	if status, _ := apiCall(t, srv, ro, http.MethodPost, "/api/connectors/"+id+"/sync", nil); status != http.StatusForbidden {
		t.Fatalf("sync with a read-only key: %d", status)
	}

	// Another user sees and touches nothing of it.
	bob := testclient.New(t, srv)
	bobDevice := softauthn.New(srv.URL)
	bob.SignUp(bobDevice, "bob", "Bob")
	bobKey := bob.CreateAPIKey(bobDevice, "bob", "read", "write")
	for _, call := range []struct{ method, path string }{
		{http.MethodGet, "/api/connectors/" + id},
		{http.MethodPost, "/api/connectors/" + id + "/sync"},
		{http.MethodDelete, "/api/connectors/" + id},
		{http.MethodDelete, "/api/connectors/not-a-uuid"},
	} {
		if status, raw := apiCall(t, srv, bobKey, call.method, call.path, nil); status != http.StatusNotFound {
			t.Fatalf("bob %s %s: %d %s", call.method, call.path, status, raw)
		}
	}
	var bobs apiConnectorList
	if _, raw := apiCall(t, srv, bobKey, http.MethodGet, "/api/connectors", nil); json.Unmarshal(raw, &bobs) != nil || len(bobs.Data) != 0 {
		t.Fatalf("bob's list: %s", raw)
	}

	if status, _ := apiCall(t, srv, ro, http.MethodDelete, "/api/connectors/"+id, nil); status != http.StatusForbidden {
		t.Fatalf("delete with a read-only key: %d", status)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM connector_mail`); n != 2 {
		t.Fatalf("mail rows before disconnect = %d", n)
	}
	if status, raw := apiCall(t, srv, rw, http.MethodDelete, "/api/connectors/"+id, nil); status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", status, raw)
	}
	if n := countRows(t, srv, `SELECT (SELECT count(*) FROM connectors) + (SELECT count(*) FROM connector_mail) + (SELECT count(*) FROM connector_events)`); n != 0 {
		t.Fatalf("%d rows remain after disconnect", n)
	}
	var after apiConnectorList
	if _, raw := apiCall(t, srv, ro, http.MethodGet, "/api/connectors", nil); json.Unmarshal(raw, &after) != nil || len(after.Data) != 0 {
		t.Fatalf("list after delete: %s", raw)
	}
}

func TestConnectorsAPIRefusals(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Connectors: fixedSources(), ConnectorsStrict: true})
	c := testclient.New(t, srv)
	device := softauthn.New(srv.URL)
	c.SignUp(device, "alice", "Alice")
	key := c.CreateAPIKey(device, "k", "read", "write")
	tests := []struct {
		name     string
		body     any
		wantCode string
		wantText string
	}{
		{"loopback", map[string]any{"kind": "imap", "host": "127.0.0.1", "security": "tls", "username": "a", "password": "b"}, "address_refused", "private, loopback or link-local"},
		{"localhost calendar", map[string]any{"kind": "caldav", "url": "https://localhost:5232/", "username": "a", "password": "b"}, "address_refused", "private, loopback or link-local"},
		{"metadata service", map[string]any{"kind": "caldav", "url": "https://169.254.169.254/latest/", "username": "a", "password": "b"}, "address_refused", "public name"},
		{"plain text to a remote host", map[string]any{"kind": "imap", "host": "imap.example.org", "security": "none", "username": "a", "password": "b"}, "plaintext_refused", "only to this machine"},
		{"plain http calendar", map[string]any{"kind": "caldav", "url": "http://dav.example.org/", "username": "a", "password": "b"}, "plaintext_refused", "https://"},
		{"missing password", map[string]any{"kind": "imap", "host": "imap.example.org", "username": "a"}, "invalid_settings", "password"},
		{"unknown kind", map[string]any{"kind": "pop3"}, "unknown_kind", "imap"},
		{"google by password", map[string]any{"kind": "google", "username": "a", "password": "b"}, "invalid_settings", "sign-in page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, raw := apiCall(t, srv, key, http.MethodPost, "/api/connectors", tt.body)
			code, msg := apiError(t, raw)
			if status != http.StatusBadRequest || code != tt.wantCode || !strings.Contains(msg, tt.wantText) {
				t.Fatalf("%d %s", status, raw)
			}
		})
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/connectors", strings.NewReader("{not json"))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad JSON: %d", res.StatusCode)
	}
	if n := countRows(t, srv, `SELECT count(*) FROM connectors`); n != 0 {
		t.Fatalf("%d connectors stored from refused requests", n)
	}
}

var regexpID = regexp.MustCompile(`id="conn-([0-9a-f-]{36})"`)

func TestConnectionsPage(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Connectors: fixedSources()})
	c := testclient.New(t, srv)
	c.SignUp(softauthn.New(srv.URL), "alice", "Alice")
	res, page := c.Get("/connections")
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `data-testid="connections-empty"`) || !strings.Contains(page, "cannot send mail or delete anything") {
		t.Fatalf("empty page: %d", res.StatusCode)
	}
	// A form without a password comes back with the reason, and keeps
	// what was typed.
	res, body := c.PostForm("/connections", url.Values{"kind": {"imap"}, "host": {"imap.example.org"}, "security": {"tls"}, "username": {"alice"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "Enter the password") || !strings.Contains(string(body), `value="imap.example.org"`) {
		t.Fatalf("missing password: %d %s", res.StatusCode, body)
	}
	res, body = c.PostForm("/connections", url.Values{"kind": {"imap"}, "host": {"imap.example.org"}, "port": {"99999"}, "username": {"alice"}, "password": {"x"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "from 1 to 65535") {
		t.Fatalf("bad port: %d", res.StatusCode)
	}
	res, _ = c.PostForm("/connections", url.Values{"kind": {"caldav"}, "url": {"https://dav.example.org/"}, "username": {"alice"}, "password": {"pw"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/connections?done=connected" {
		t.Fatalf("connect: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, page = c.Get("/connections")
		if strings.Contains(page, `data-status="idle"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the connection never turned idle on the page")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{"alice on dav.example.org", "3 items", "Last synced just now", "Calendar (CalDAV)", "It cannot send or delete anything.", "connection-disconnect-confirm"} {
		if !strings.Contains(page, want) {
			t.Fatalf("page lacks %q", want)
		}
	}
	id := regexpID.FindStringSubmatch(page)
	if id == nil {
		t.Fatal("no connection id on the page")
	}
	if res, _ := c.PostForm("/connections/"+id[1]+"/sync", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sync now: %d", res.StatusCode)
	}
	if res, row := c.Get("/connections/" + id[1]); res.StatusCode != http.StatusOK || !strings.Contains(row, `id="conn-`+id[1]+`"`) {
		t.Fatalf("row fragment: %d", res.StatusCode)
	}
	// Without the CSRF token, nothing is disconnected.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/connections/"+id[1]+"/delete", nil)
	if res, _ := c.Do(req); res.StatusCode != http.StatusForbidden {
		t.Fatalf("delete without CSRF: %d", res.StatusCode)
	}
	if res, _ := c.PostForm("/connections/"+id[1]+"/delete", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disconnect: %d", res.StatusCode)
	}
	if _, page = c.Get("/connections?done=disconnected"); !strings.Contains(page, "Disconnected.") || !strings.Contains(page, `data-testid="connections-empty"`) {
		t.Fatal("page after disconnect")
	}
}

func TestAttestationListsTheConnectorPolicy(t *testing.T) {
	srv := start(t)
	c := testclient.New(t, srv)
	res, page := c.Get("/attestation")
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `data-testid="connector-policy"`) {
		t.Fatalf("attestation page: %d", res.StatusCode)
	}
	for _, want := range []string{"imap (read, propose)", "caldav (read, propose)", "google (read, propose)", "microsoft (read, propose)", "It cannot send or delete anything."} {
		if !strings.Contains(page, want) {
			t.Fatalf("policy lacks %q", want)
		}
	}
}
