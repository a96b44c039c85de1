package e2e

import (
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"confidant/internal/testserver"
)

// The browser verifier, hosted on another origin as anyone may host it,
// asks the app for its report with its own nonce and verifies it in the
// page: amber, because the enclave is simulated, and nothing fails.
func TestBrowserVerifier(t *testing.T) {
	folder := filepath.Join("..", "verifier", "web")
	if _, err := os.Stat(filepath.Join(folder, "verifier.wasm")); err != nil {
		t.Fatalf("the browser verifier is not built: run `make verifier` (make test does): %v", err)
	}
	e := setup(t, testserver.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0") // another origin than the app's localhost
	if err != nil {
		t.Fatal(err)
	}
	host := &http.Server{Handler: http.FileServer(http.Dir(folder))}
	go host.Serve(ln) //nolint:errcheck // ends with Close
	t.Cleanup(func() { host.Close() })

	tb := e.newTab()
	page := "http://" + ln.Addr().String() + "/?auto=1&url=" + url.QueryEscape(e.srv.URL)
	tb.do("open the verifier", chromedp.Navigate(page))
	tb.waitFor("a verdict", `document.getElementById('summary') && document.getElementById('summary').dataset.state !== undefined`)
	if state := eval[string](tb, `document.getElementById('summary').dataset.state`); state != "amber" {
		tb.fail("the verifier says %q, want amber", state)
	}
	if n := eval[int](tb, `document.querySelectorAll('.checks li.fail').length`); n != 0 {
		tb.fail("%d checks failed", n)
	}
	if n := eval[int](tb, `document.querySelectorAll('[data-testid="report"]').length`); n < 1 {
		tb.fail("no report shown")
	}
	tb.screenshot("verifier-amber")

	// A deployment that is not there gives a clear error, not a verdict.
	tb.fill("#url", "http://127.0.0.1:9")
	tb.click("#verify")
	tb.waitFor("an error", `document.getElementById('status').className === 'error'`)
	tb.screenshot("verifier-error")
}
