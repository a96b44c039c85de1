// Helpers for the chat tests: sending from the composer, reading the state
// of an answer as the page shows it, and waiting for it to change.

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"confidant/inference/simbackend"
)

// Chat selectors.
var (
	answerSel   = tid("turn-assistant")
	userTurnSel = tid("turn-user")
	convPathRE  = regexp.MustCompile(`^/c/([0-9a-f-]{36})$`)
)

// chatter signs a new person up and returns their tab on the new-chat page.
func (e *env) chatter(username string) *tab {
	e.t.Helper()
	tb := e.newTab()
	tb.signUp(signup{Username: username, DisplayName: canaryDisplay})
	return tb
}

// sibling opens another tab in the same browser context (same cookies):
// the same person with a second window.
func (tb *tab) sibling() *tab {
	tb.t.Helper()
	ctx, cancel := chromedp.NewContext(tb.ctx)
	tb.t.Cleanup(cancel)
	other := &tab{e: tb.e, t: tb.t, ctx: ctx}
	other.do("open a second tab", chromedp.Func(func(context.Context, *chromedp.Target) error { return nil }))
	return other
}

// markDocument tags the current document, so waitNewPage can tell the page
// a form post leads to from the one it came from (both may have one path).
func (tb *tab) markDocument() {
	tb.t.Helper()
	tb.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__e2eOld = true`))
}

// waitNewPage waits for a document loaded after markDocument, at a
// conversation page; it returns the conversation's id.
func (tb *tab) waitNewPage() string {
	tb.t.Helper()
	tb.waitFor("the next page", `!window.__e2eOld && document.readyState === 'complete'`)
	m := convPathRE.FindStringSubmatch(tb.path())
	if m == nil {
		tb.fail("expected a conversation page, got %s", tb.path())
	}
	return m[1]
}

// submitMessage puts msg into the composer and presses Enter; it returns
// the conversation's id once its page is loaded.
func (tb *tab) submitMessage(msg string) string {
	tb.t.Helper()
	sel := tid("composer-input")
	v, _ := json.Marshal(msg)
	tb.waitVisible(sel)
	tb.markDocument()
	tb.do("write a message", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`(() => { const el = document.querySelector(%q); el.value = %s; el.dispatchEvent(new Event('input')); })()`, sel, v)))
	tb.do("press Enter", chromedp.SendKeys(chromedp.CSS(sel), kb.Enter))
	return tb.waitNewPage()
}

// send submits msg and waits until its answer ends with status want.
func (tb *tab) send(msg, want string) (convID string, answer turnState) {
	tb.t.Helper()
	convID = tb.submitMessage(msg)
	return convID, tb.waitAnswer(want)
}

// turnState is what a turn of the thread shows.
type turnState struct {
	Status  string `json:"status"`
	Text    string `json:"text"` // the body's visible text
	Notice  string `json:"notice"`
	Version string `json:"version"` // "2/2", "" without versions
	Stream  bool   `json:"stream"`  // still has data-stream
	Count   int    `json:"count"`   // turns of this role on the page
}

// turnJS reads the last turn matching a selector, as a turnState.
const turnJS = `((sel) => {
	const all = document.querySelectorAll(sel), t = all[all.length - 1];
	if (!t) return {count: 0};
	const n = t.querySelector('[data-notice]'), v = t.querySelector('[data-testid="version"]');
	return {status: t.dataset.status || '', text: t.querySelector('[data-body]').innerText.trim(),
		notice: n && !n.hidden ? n.textContent.trim() : '', version: v ? v.textContent.trim() : '',
		stream: t.hasAttribute('data-stream'), count: all.length};
})(%q)`

// lastTurn returns the state of the last turn matching sel.
func (tb *tab) lastTurn(sel string) turnState {
	tb.t.Helper()
	return eval[turnState](tb, fmt.Sprintf(turnJS, sel))
}

// answer returns the state of the last answer on the page.
func (tb *tab) answer() turnState {
	tb.t.Helper()
	return tb.lastTurn(answerSel)
}

// tryAnswer reads the last answer; it fails softly while a navigation
// replaces the page.
func (tb *tab) tryAnswer() (turnState, error) {
	ctx, cancel := context.WithTimeout(tb.ctx, 3*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[turnState](fmt.Sprintf(turnJS, answerSel)))
}

// watchAnswer polls the last answer until done says so, and fails when the
// test's time runs out.
func (tb *tab) watchAnswer(what string, done func(turnState) bool) turnState {
	tb.t.Helper()
	var last turnState
	for {
		s, err := tb.tryAnswer()
		if err == nil {
			last = s
			if done(s) {
				return s
			}
		}
		select {
		case <-tb.ctx.Done():
			tb.fail("timed out waiting for %s; the answer was %+v", what, last)
		case <-time.After(30 * time.Millisecond):
		}
	}
}

// waitAnswer waits until the last answer ends; it must end as want.
func (tb *tab) waitAnswer(want string) turnState {
	tb.t.Helper()
	s := tb.watchAnswer("the answer to end "+want, func(s turnState) bool {
		return s.Count > 0 && s.Status != "streaming"
	})
	if s.Status != want {
		tb.fail("the answer ended %q, want %q: %+v", s.Status, want, s)
	}
	return s
}

// waitStreamingText waits until the running answer shows at least n
// characters of text while still streaming.
func (tb *tab) waitStreamingText(n int) turnState {
	tb.t.Helper()
	s := tb.watchAnswer(fmt.Sprintf("%d characters of a running answer", n), func(s turnState) bool {
		return s.Status != "streaming" || len(s.Text) >= n
	})
	if s.Status != "streaming" {
		tb.fail("the answer ended (%s) before it could be watched streaming: make it slower: %+v", s.Status, s)
	}
	return s
}

// reload reloads the page and waits for its scripts.
func (tb *tab) reload() {
	tb.t.Helper()
	tb.markDocument()
	tb.do("reload", chromedp.Reload())
	tb.waitFor("the reloaded page", `!window.__e2eOld && document.readyState === 'complete'`)
}

// shown reports whether an element matching sel is rendered (not hidden).
func (tb *tab) shown(sel string) bool {
	tb.t.Helper()
	return eval[bool](tb, fmt.Sprintf(`(() => { const el = document.querySelector(%q); return !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden'; })()`, sel))
}

// sidebarLinks returns the href and text of every conversation link.
func (tb *tab) sidebarLinks() []convLink {
	tb.t.Helper()
	return eval[[]convLink](tb, `Array.from(document.querySelectorAll('[data-testid="conv-link"]'),
		(a) => ({href: a.getAttribute('href'), title: a.textContent.trim(), pinned: !!a.querySelector('svg.pin'), active: a.classList.contains('active')}))`)
}

type convLink struct {
	Href   string `json:"href"`
	Title  string `json:"title"`
	Pinned bool   `json:"pinned"`
	Active bool   `json:"active"`
}

// sidebarLink returns the sidebar's link to a conversation.
func (tb *tab) sidebarLink(convID string) (convLink, bool) {
	tb.t.Helper()
	for _, l := range tb.sidebarLinks() {
		if l.Href == "/c/"+convID {
			return l, true
		}
	}
	return convLink{}, false
}

// viewShot saves what the viewport shows as <screenshots>/<name>.png: a
// chat page's sticky header and composer make full-page shots misleading.
func (tb *tab) viewShot(name string) {
	tb.t.Helper()
	buf, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.fail("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir(tb.t), name+".png"), buf, 0o644); err != nil {
		tb.t.Errorf("save screenshot: %v", err)
	}
}

// fit is how the page's width compares with the layout viewport's.
type fit struct {
	Client int      `json:"client"` // the layout viewport's width
	Scroll int      `json:"scroll"` // the document's
	Inner  int      `json:"inner"`  // window.innerWidth: grows when a phone zooms out
	Wide   []string `json:"wide"`
}

// expectFits checks that nothing makes the page wider than its layout
// viewport. It compares with documentElement.clientWidth, not innerWidth:
// at phone width chromium zooms out to show wide content, and innerWidth
// grows with it, so comparing with innerWidth passes on a page that does
// not fit.
func (tb *tab) expectFits(what string) {
	tb.t.Helper()
	f := eval[fit](tb, `(() => {
		const de = document.documentElement, w = de.clientWidth;
		const wide = Array.from(document.querySelectorAll('body *'))
			.filter((el) => el.getBoundingClientRect().right > w + 0.5 && !(el.parentElement && el.parentElement.closest('pre')))
			.slice(0, 6)
			.map((el) => el.tagName.toLowerCase() + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().replace(/\s+/g, '.') : ''));
		return {client: w, scroll: de.scrollWidth, inner: innerWidth, wide};
	})()`)
	if f.Scroll > f.Client || f.Inner > f.Client {
		tb.t.Errorf("%s is wider than the screen: %dpx of content in %dpx (innerWidth %d); sticking out: %s",
			what, f.Scroll, f.Client, f.Inner, strings.Join(f.Wide, ", "))
	}
}

// colorScheme makes the tab prefer a light or dark color scheme.
func (tb *tab) colorScheme(scheme string) {
	tb.t.Helper()
	tb.do("prefer "+scheme, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	}))
}

// captureClipboard replaces navigator.clipboard.writeText in this tab's
// next documents with a recorder: headless chromium's real clipboard needs
// focus and permissions that a test cannot count on.
func (tb *tab) captureClipboard() {
	tb.t.Helper()
	tb.do("capture the clipboard", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `(() => {
			if (!navigator.clipboard) return;
			navigator.clipboard.writeText = (s) => { window.__e2eCopied = String(s); return Promise.resolve(); };
		})();`})
		return err
	}))
}

// copied returns what the page last wrote to the clipboard, waiting for it.
func (tb *tab) copied() string {
	tb.t.Helper()
	tb.waitFor("text copied to the clipboard", `typeof window.__e2eCopied === 'string'`)
	s := eval[string](tb, `window.__e2eCopied`)
	tb.do("forget the copy", chromedp.Evaluate[chromedp.Void](`delete window.__e2eCopied`))
	return s
}

// evalAsync evaluates an expression that returns a promise, and decodes
// what the promise gives.
func evalAsync[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.fail("evaluate %s: %v", expr, err)
	}
	return v
}

// postAs sends a form post from the page with its CSRF token, as a script
// in the page could, and returns the status of the answer.
func (tb *tab) postAs(path string, form map[string]string) int {
	tb.t.Helper()
	p, _ := json.Marshal(path)
	f, _ := json.Marshal(form)
	return evalAsync[int](tb, fmt.Sprintf(`(async () => {
		const body = new URLSearchParams(%s);
		body.set('_csrf', document.querySelector('meta[name="csrf-token"]').content);
		const r = await fetch(%s, {method: 'POST', body, redirect: 'manual', credentials: 'same-origin'});
		return r.status;
	})()`, f, p))
}

// getStatus fetches a path from the page, with its cookies, and returns the
// status (0 when the fetch fails or takes longer than a second to answer).
func (tb *tab) getStatus(path string) int {
	tb.t.Helper()
	p, _ := json.Marshal(path)
	return evalAsync[int](tb, fmt.Sprintf(`(async () => {
		const ctl = new AbortController(); setTimeout(() => ctl.abort(), 1000);
		try { const r = await fetch(%s, {signal: ctl.signal, credentials: 'same-origin'}); ctl.abort(); return r.status; }
		catch (_) { return 0; }
	})()`, p))
}

// failOnceBackend runs the simulated backend behind a wrapper that honours
// [[sim:fail-after=N]] only on the first request carrying it, like a
// backend that crashed once: a retry (regenerate) then succeeds. The
// built-in simulated backend fails every time the same prompt is sent.
func failOnceBackend(t interface {
	Cleanup(func())
}) string {
	sim := simbackend.New(simbackend.Options{})
	directive := regexp.MustCompile(`\[\[sim:fail-after=\d+\]\]`)
	var used atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/chat/completions") {
			raw, _ := io.ReadAll(r.Body)
			b := string(raw)
			if directive.MatchString(b) && used.Swap(true) {
				b = directive.ReplaceAllString(b, "")
			}
			r.Body = io.NopCloser(strings.NewReader(b))
			r.ContentLength = int64(len(b))
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
