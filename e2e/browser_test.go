// Package e2e drives the whole Confidant app through a real headless
// chromium with a DevTools virtual WebAuthn authenticator, as a person
// would: sign up, sign in, manage passkeys and sessions, recover, delete.
//
// One browser process serves the whole test binary; every test gets its own
// app (testserver, fresh database) and its own browser contexts, so cookies
// and passkeys never leak between tests.
package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"confidant/internal/testserver"
)

// testTimeout bounds everything one test does in the browser.
const testTimeout = 45 * time.Second

var browser struct {
	once sync.Once
	ctx  context.Context // chromedp context of the running browser
	err  error
	stop func()
	dir  string // user-data-dir, removed when the binary ends
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.stop != nil {
		browser.stop()
	}
	if browser.dir != "" {
		_ = os.RemoveAll(browser.dir)
	}
	os.Exit(code)
}

// chromiumPath finds Debian's chromium, or returns "".
func chromiumPath() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// newBrowser returns the shared browser, started on first use. Without
// chromium the test fails, unless CONFIDANT_E2E_OPTIONAL=1 allows a skip.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CONFIDANT_E2E_OPTIONAL") == "1" {
			t.Skip("chromium is not installed and CONFIDANT_E2E_OPTIONAL=1: skipping browser tests")
		}
		t.Fatal("chromium is not installed (/usr/bin/chromium): run `make test`, which installs it " +
			"(set CONFIDANT_E2E_OPTIONAL=1 to skip browser tests instead)")
	}
	browser.once.Do(func() { startBrowser(path) })
	if browser.err != nil {
		t.Fatalf("start chromium: %v", browser.err)
	}
	return browser.ctx
}

func startBrowser(path string) {
	dir, err := os.MkdirTemp("", "confidant-e2e-chromium-")
	if err != nil {
		browser.err = err
		return
	}
	browser.dir = dir
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.Headless,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(ctx); err != nil { // starts the browser, no deadline
		cancelCtx()
		cancelAlloc()
		browser.err = err
		return
	}
	browser.ctx = ctx
	browser.stop = func() { cancelCtx(); cancelAlloc() }
}

// env is one test's world: its own app and a deadline for its browser work.
type env struct {
	t   *testing.T
	srv *testserver.Server
	ctx context.Context // shared browser, with this test's deadline

	mu      sync.Mutex
	secrets []string // must never appear in the server log
}

// setup starts the app and registers the end-of-test log check. Tests run
// in parallel: each has its own server, database and browser contexts.
func setup(t *testing.T, opt testserver.Options) *env {
	t.Helper()
	t.Parallel()
	root := newBrowser(t)
	_ = os.Remove(filepath.Join(screenshotDir(t), failShot(t))) // from an earlier run
	e := &env{t: t, srv: testserver.Start(t, opt)}
	t.Cleanup(e.checkLogs)
	ctx, cancel := context.WithTimeout(root, testTimeout)
	t.Cleanup(cancel)
	e.ctx = ctx
	return e
}

// secret records values that must never reach the server's log.
func (e *env) secret(values ...string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, v := range values {
		if v != "" {
			e.secrets = append(e.secrets, v)
		}
	}
}

func (e *env) checkLogs() {
	logs := e.srv.Logs.String()
	if os.Getenv("E2E_DUMP_LOGS") != "" { // debugging aid: show what the server logged
		e.t.Log(logs)
	}
	if strings.TrimSpace(logs) == "" && !e.t.Failed() {
		e.t.Error("server logged nothing: the log check would prove nothing")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.secrets {
		if strings.Contains(logs, s) {
			e.t.Errorf("server log contains a secret or user content %q", s)
		}
	}
}

// screenshotDir is $ARTIFACTS_DIR/screenshots, or ../artifacts/screenshots.
func screenshotDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("ARTIFACTS_DIR")
	if base == "" {
		base = filepath.Join("..", "artifacts")
	}
	dir, err := filepath.Abs(filepath.Join(base, "screenshots"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("screenshots: %v", err)
	}
	return dir
}

// failShot names the screenshot taken when a test fails.
func failShot(t *testing.T) string {
	return "FAIL-" + strings.ReplaceAll(t.Name(), "/", "-") + ".png"
}
