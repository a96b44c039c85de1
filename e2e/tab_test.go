package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// tab is one browser tab in a browser context of its own (its own cookies,
// like a separate device), with a virtual platform authenticator.
type tab struct {
	e    *env
	t    *testing.T
	ctx  context.Context
	auth webauthn.AuthenticatorID
}

// newTab opens a tab in a fresh browser context and gives it an
// authenticator that holds passkeys, verifies the user and answers at once.
func (e *env) newTab() *tab {
	e.t.Helper()
	ctx, cancel := chromedp.NewContext(e.ctx, chromedp.WithNewBrowserContext())
	e.t.Cleanup(cancel)
	tb := &tab{e: e, t: e.t, ctx: ctx}
	tb.do("open tab", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: countGets})
		return err
	}))
	tb.auth = tb.addAuthenticator()
	return tb
}

// do runs browser steps and stops the test, with a screenshot, on error.
func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		tb.fail("%s: %v", what, err)
	}
}

// fail stops the test, saying where the tab was and what it showed.
func (tb *tab) fail(format string, args ...any) {
	tb.t.Helper()
	msg := fmt.Sprintf(format, args...)
	if tb.ctx.Err() == nil {
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		defer cancel()
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 600) : ''`))
		msg += fmt.Sprintf("\n  at %s\n  page text: %q", loc, body)
		if buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(filepath.Join(screenshotDir(tb.t), failShot(tb.t)), buf, 0o644)
		}
	}
	tb.t.Fatal(msg)
}

// open navigates to a path of the app and waits for the load, wherever
// redirects lead.
func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.do("open "+path, chromedp.Navigate(tb.e.srv.URL+path))
}

// visit opens a path of the app and waits until its scripts have run.
func (tb *tab) visit(path string) {
	tb.t.Helper()
	tb.open(path)
	tb.waitPath(strings.SplitN(path, "?", 2)[0])
}

// eval evaluates a JavaScript expression; T is decoded from its JSON value.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.fail("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it is true. Unlike
// chromedp.Poll it survives navigations, so it can wait for a redirect.
func (tb *tab) waitFor(what, cond string) {
	tb.t.Helper()
	var lastErr error
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, 3*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if err != nil {
			lastErr = err // a navigation destroys the context: try again
		}
		select {
		case <-tb.ctx.Done():
			tb.fail("timed out waiting for %s (last error: %v)", what, lastErr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitPath waits until the tab shows a path and the page finished loading
// (deferred scripts ran, so ceremony forms are wired up).
func (tb *tab) waitPath(path string) {
	tb.t.Helper()
	p, _ := json.Marshal(path)
	tb.waitFor("page "+path, fmt.Sprintf(`location.pathname === %s && document.readyState === 'complete'`, p))
}

// path returns the path (and query) the tab shows.
func (tb *tab) path() string {
	tb.t.Helper()
	return eval[string](tb, `location.pathname + location.search`)
}

// click clicks an element with real mouse events (user activation).
func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// fill replaces the text in an input by typing.
func (tb *tab) fill(sel, text string) {
	tb.t.Helper()
	// chromedp.SetValue(sel, "") fails in v0.23 ("could not set value"),
	// so empty the field from script, then type like a person.
	q, _ := json.Marshal(sel)
	tb.do("type into "+sel,
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%s).value = ''`, q)),
		chromedp.SendKeys(chromedp.CSS(sel), text))
}

// text returns the visible text of the first element matching sel.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		tb.fail("read text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// texts returns the text of every element matching sel (maybe none).
func (tb *tab) texts(sel string) []string {
	tb.t.Helper()
	q, _ := json.Marshal(sel)
	return eval[[]string](tb, fmt.Sprintf(`Array.from(document.querySelectorAll(%s), el => el.textContent.trim())`, q))
}

// count returns how many elements match sel.
func (tb *tab) count(sel string) int {
	tb.t.Helper()
	q, _ := json.Marshal(sel)
	return eval[int](tb, fmt.Sprintf(`document.querySelectorAll(%s).length`, q))
}

// waitVisible waits until an element is shown.
func (tb *tab) waitVisible(sel string) {
	tb.t.Helper()
	tb.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// sessionCookie returns the session cookie's value, "" when there is none.
func (tb *tab) sessionCookie() string {
	tb.t.Helper()
	res, err := chromedp.Call(tb.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{tb.e.srv.URL}})
	if err != nil {
		tb.t.Fatalf("get cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == "confidant_session" {
			return c.Value
		}
	}
	return ""
}

// screenshot saves a full-page PNG as <screenshots>/<name>.png.
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	buf, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.fail("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir(tb.t), name+".png"), buf, 0o644); err != nil {
		tb.t.Errorf("save screenshot: %v", err)
	}
}
