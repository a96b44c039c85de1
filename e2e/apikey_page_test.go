package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"confidant/internal/testserver"
)

// A person creates an API key, confirming with their passkey; the key is
// shown once, works against the OpenAI-compatible API, and the list then
// names it without showing it again.
func TestAPIKeyCreatedAndShownOnce(t *testing.T) {
	e := setup(t, testserver.Options{})
	tb := e.chatter("kai")
	tb.visit("/settings/api-keys")
	if got := tb.text(".empty"); got != "No API keys yet." {
		t.Errorf("with no keys the page says %q", got)
	}
	tb.fill(tid("key-name"), canaryKeyName)
	e.secret(canaryKeyName)
	tb.click(tid("key-create"))
	tb.waitVisible(tid("new-key-value"))
	key := eval[string](tb, `document.querySelector('`+tid("new-key-value")+`').value`)
	if len(key) < 20 {
		t.Fatalf("the new key is %q", key)
	}
	e.secret(key)
	tb.screenshot("settings-api-keys-new-key")

	req, _ := http.NewRequestWithContext(tb.ctx, http.MethodGet, e.srv.URL+"/v1/models", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "sim-chat") {
		t.Errorf("GET /v1/models with the new key: %d %s", res.StatusCode, body)
	}

	tb.visit("/settings/api-keys")
	if tb.shown(tid("new-key")) || strings.Contains(eval[string](tb, `document.body.innerHTML`), key) {
		t.Error("the key is shown again after leaving the page")
	}
	if items := tb.texts(tid("key-item") + " strong"); len(items) != 1 || items[0] != canaryKeyName {
		t.Errorf("the key list shows %q, want the new key's name", items)
	}
}
