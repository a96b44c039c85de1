package e2e

import (
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"confidant/internal/testserver"
)

// hostile is model output (echoed by the simulated backend) that would run
// script, load remote content or mislead, were it rendered as written.
var hostile = []struct {
	name, payload string
	shows         string // text the answer must still show
}{
	{"img onerror", `<img src=x onerror="alert(1)">`, `onerror="alert(1)"`},
	{"script", `<script>window.__pwned=1</script>`, `<script>window.__pwned=1</script>`},
	{"javascript link", `[click me](javascript:window.__pwned=2)`, "click me"},
	{"svg onload", `<svg onload="window.__pwned=3"><circle r="40"/></svg>`, `<svg onload=`},
	{"html anchor", `<a href="javascript:window.__pwned=4">anchor</a>`, "anchor"},
	{"obfuscated schemes", `[tab](java&#x09;script:alert(5)) [case](JaVaScRiPt:alert(6)) [ent](&#106;avascript:alert(7))`, "tab case ent"},
	{"data url", `[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`, "data link"},
	{"iframe", `<iframe src="javascript:alert(8)"></iframe>`, "<iframe"},
	{"remote image", `![a](https://example.org/x.png)`, "[image: a]"},
	{"link", `[docs](https://example.org/docs)`, "docs"},
	{"details ontoggle", `<details open ontoggle="window.__pwned=9">x</details>`, "ontoggle"},
	{"style", `<style>body{display:none}</style><div style="position:fixed;inset:0">cover</div>`, "cover"},
	{"form", `<form action="/logout" method="post"><button>Sign out</button></form>`, "Sign out"},
	{"autolink", `<javascript:alert(10)> and <https://example.org/auto>`, "https://example.org/auto"},
	{"mutation xss", `<math><mtext><table><mglyph><style><img src=x onerror=alert(11)>`, "onerror"},
	{"nested", "**bold [x](javascript:alert(12))** and `<b>code</b>`", "<b>code</b>"},
}

// inertJS lists what in the page's rendered messages could act: elements
// and attributes the renderer never emits, links that are not plain
// http(s)/mailto links opening a new tab without an opener, and anything
// the payloads would have set.
const inertJS = `(() => {
	const bad = [];
	if (window.__pwned !== undefined) bad.push('window.__pwned = ' + window.__pwned);
	const allowed = new Set(['p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'ul', 'ol', 'li',
		'em', 'strong', 'del', 'code', 'pre', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'a', 'input', 'div', 'span', 'button']);
	for (const el of document.querySelectorAll('.turn-body *')) {
		const tag = el.tagName.toLowerCase();
		if (!allowed.has(tag) && !(tag === 'i' && el.parentElement.matches('span.typing'))) bad.push('<' + tag + '> in a message');
		for (const a of el.attributes) {
			if (/^on/i.test(a.name) || ['style', 'src', 'srcdoc', 'action', 'formaction', 'xlink:href', 'id', 'name'].includes(a.name)) bad.push(tag + '[' + a.name + '] in a message');
		}
		if (tag === 'a') {
			const u = new URL(el.href, location.href);
			if (!['http:', 'https:', 'mailto:'].includes(u.protocol)) bad.push('link to ' + el.getAttribute('href'));
			if (!/\bnoopener\b/.test(el.rel) || !/\bnoreferrer\b/.test(el.rel) || el.target !== '_blank') bad.push('link without rel=noopener noreferrer target=_blank: ' + el.outerHTML);
		}
		if (tag === 'input' && (el.type !== 'checkbox' || !el.disabled)) bad.push('live input in a message');
		if (tag === 'button' && !el.matches('button.copy-code[type=button]')) bad.push('button in a message: ' + el.outerHTML);
	}
	for (const el of document.querySelectorAll('[href], [src], [action], [formaction]')) {
		for (const n of ['href', 'src', 'action', 'formaction']) {
			const v = el.getAttribute(n);
			if (v && /^\s*(javascript|data|vbscript):/i.test(v)) bad.push(el.tagName + ' ' + n + '=' + v);
		}
	}
	if (document.querySelector('#thread img, #thread iframe, #thread script, #thread object, #thread embed, #thread style, #thread math, #thread .turn-body svg')) bad.push('active element in the thread');
	if (getComputedStyle(document.body).display === 'none') bad.push('the page was hidden');
	return bad;
})()`

// pageWatch records what a tab's pages did that a person would notice or
// that leaks: dialogs, exceptions, CSP violations, third-party requests.
type pageWatch struct {
	mu       sync.Mutex
	dialogs  []string
	problems []string
	requests []string // to hosts other than the app's
}

func (tb *tab) watchPage() *pageWatch {
	tb.t.Helper()
	w := &pageWatch{}
	app, _ := url.Parse(tb.e.srv.URL)
	err := chromedp.Listen(tb.ctx, func(ev any) {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch ev := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			w.dialogs = append(w.dialogs, string(ev.Type)+": "+ev.Message)
			go func() { // never leave the page blocked on a dialog
				_, _ = chromedp.Call(tb.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}()
		case *runtime.EventExceptionThrown:
			w.problems = append(w.problems, "exception: "+exceptionText(ev.ExceptionDetails))
		case *log.EventEntryAdded:
			if strings.Contains(ev.Entry.Text, "Content Security Policy") {
				w.problems = append(w.problems, "CSP: "+ev.Entry.Text)
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				w.problems = append(w.problems, "console.error")
			}
		case *network.EventRequestWillBeSent:
			if u, err := url.Parse(ev.Request.URL); err == nil && u.Host != app.Host {
				w.requests = append(w.requests, ev.Request.URL)
			}
		}
	})
	if err != nil {
		tb.t.Fatalf("listen: %v", err)
	}
	return w
}

func (w *pageWatch) check(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.dialogs) > 0 {
		t.Errorf("dialogs opened: %q", w.dialogs)
	}
	if len(w.problems) > 0 {
		t.Errorf("the page reported: %q", w.problems)
	}
	if len(w.requests) > 0 {
		t.Errorf("the page made third-party requests: %q", w.requests)
	}
}

// Hostile model output renders as inert text: no script runs, no dialog
// opens, no remote image loads, no element or attribute beyond the
// renderer's own reaches the page, links only go to http(s) in a new tab
// without an opener. This holds for answers as they stream in (the
// server-sent events path) and as the page renders them after a reload.
func TestChatHostileOutputIsInert(t *testing.T) {
	e := setup(t, testserver.Options{})
	tb := e.chatter("mallory")
	w := tb.watchPage()
	streamed := 0 // answers the page followed over server-sent events
	for i, h := range hostile {
		if i == 1 {
			tb.visit("/") // one conversation per payload would be slow; two show the new-chat path too
		}
		// A delay per token makes the page attach while the answer streams.
		tb.submitMessage("Say " + h.payload + " [[sim:delay=50ms]]")
		if tb.answer().Stream {
			streamed++
		}
		got := tb.waitAnswer("complete")
		if !strings.Contains(got.Text, h.shows) {
			t.Errorf("%s: the answer shows %q, want it to contain %q", h.name, got.Text, h.shows)
		}
		if bad := eval[[]string](tb, inertJS); len(bad) > 0 {
			t.Errorf("%s: as streamed: %q", h.name, bad)
		}
	}
	if streamed == 0 {
		t.Error("no answer was followed while streaming: the server-sent events path went untested")
	}
	t.Logf("%d of %d answers were followed while streaming", streamed, len(hostile))
	tb.reload()
	if bad := eval[[]string](tb, inertJS); len(bad) > 0 {
		t.Errorf("as rendered by the server: %q", bad)
	}
	if n := tb.count(answerSel); n != len(hostile)-1 {
		t.Errorf("the conversation shows %d answers, want %d", n, len(hostile)-1)
	}
	img := answerSel + ` a[href="https://example.org/x.png"]`
	if tb.count(img) != 1 || tb.text(img) != "[image: a]" {
		t.Errorf("the markdown image is not shown as a link labelled [image: a]")
	}
	link := answerSel + ` a[href="https://example.org/docs"][target="_blank"][rel~="noopener"]`
	if tb.count(link) != 1 {
		t.Errorf("the markdown link is not a new-tab link without opener")
	}
	w.check(t)
}

// Another person can neither open someone's conversation nor its running
// answer's stream, nor act on it; the owner's answer goes on unharmed.
func TestChatOwnerOnly(t *testing.T) {
	e := setup(t, testserver.Options{})
	e.secret(chatCanary)
	a := e.chatter("alice")
	convID := a.submitMessage("Tell me about " + chatCanary + " [[sim:delay=40ms]] [[sim:tokens=200]]")
	a.waitStreamingText(5)
	stream := eval[string](a, `document.querySelector('`+answerSel+`').dataset.stream`)
	stop := eval[string](a, `document.querySelector('`+answerSel+`').dataset.stop`)
	if !strings.HasPrefix(stream, "/c/"+convID+"/m/") || !strings.HasPrefix(stop, "/c/"+convID+"/m/") {
		t.Fatalf("stream %q and stop %q are not under the conversation", stream, stop)
	}
	if got := a.getStatus(stream); got != 200 {
		t.Fatalf("the owner's stream answers %d, want 200", got)
	}

	b := e.chatter("bob")
	for _, p := range []string{"/c/" + convID, stream} {
		res, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(e.srv.URL+p))
		if err != nil {
			b.fail("open %s: %v", p, err)
		}
		if res.Status != 404 || b.text("h1") != "Page not found" {
			t.Errorf("someone else opening %s gets %d %q, want the 404 page", p, res.Status, b.text("h1"))
		}
		if strings.Contains(b.text("body"), chatCanary) {
			t.Errorf("someone else sees the conversation's text at %s", p)
		}
	}
	if got := b.getStatus(stream); got != 404 {
		t.Errorf("someone else's fetch of the stream answers %d, want 404", got)
	}
	b.visit("/")
	for _, post := range []struct {
		path string
		form map[string]string
	}{
		{stop, nil},
		{"/c/" + convID + "/rename", map[string]string{"title": "hijacked"}},
		{"/c/" + convID + "/messages", map[string]string{"content": "hello"}},
		{"/c/" + convID + "/pin", map[string]string{"pinned": "true"}},
		{"/c/" + convID + "/delete", nil},
		{strings.TrimSuffix(stop, "/stop") + "/regenerate", nil},
	} {
		if got := b.postAs(post.path, post.form); got != 404 {
			t.Errorf("someone else's POST %s answers %d, want 404", post.path, got)
		}
	}
	if l := b.sidebarLinks(); len(l) != 0 {
		t.Errorf("someone else's sidebar lists %+v", l)
	}

	if s := a.answer(); s.Status != "streaming" {
		t.Logf("the owner's answer ended (%s) before the other person's stop: that check proved less", s.Status)
	}
	final := a.waitAnswer("complete")
	if !strings.Contains(strings.Join(a.texts(userTurnSel+" [data-body]"), " "), chatCanary) || final.Text == "" {
		t.Errorf("the owner's conversation was harmed: %+v", final)
	}
	a.reload()
	if title := a.text(tid("chat-title")); title == "hijacked" || a.count(userTurnSel) != 1 {
		t.Errorf("someone else changed the conversation: title %q, %d messages", title, a.count(userTurnSel))
	}
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d.Exception != nil && d.Exception.Description != "" {
		return d.Exception.Description
	}
	return d.Text
}
