package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"confidant/internal/testserver"
)

// chatCanary is a word of user content: it must never reach the server log.
const chatCanary = "Quokkaberry"

// waitTitle reloads the conversation until its generated title is shown
// (titling runs after the first answer) and returns it; it gives up after
// five seconds (it takes milliseconds with the simulated backend).
func (tb *tab) waitTitle() string {
	tb.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if title := tb.text(tid("chat-title")); title != "New chat" {
			return title
		}
		if time.Now().After(deadline) {
			tb.fail("the conversation got no title within 5s")
		}
		select {
		case <-tb.ctx.Done():
			tb.fail("the conversation never got a title")
		case <-time.After(100 * time.Millisecond):
		}
		tb.reload()
	}
}

// A person types a message (Shift+Enter makes a new line) and sends it
// with Enter. The answer streams in: its text grows while it is marked
// streaming, the Stop button shows meanwhile, and it ends complete. The
// sidebar lists the conversation, which gets a title; a reload shows the
// same text. A follow-up answer with a code block renders it highlighted,
// and the copy buttons copy the code and the turn's markdown.
func TestChatStreamsAnswer(t *testing.T) {
	e := setup(t, testserver.Options{})
	e.secret(chatCanary)
	tb := e.chatter("cleo")
	tb.captureClipboard()
	for _, scheme := range []string{"dark", "light"} {
		tb.colorScheme(scheme)
		tb.visit("/")
		tb.screenshot("chat-new-" + scheme)
	}
	if !tb.shown(tid("send")) || tb.shown(tid("stop")) {
		t.Error("the new-chat page must show Send and hide Stop")
	}

	input := tid("composer-input")
	tb.fill(input, "Tell me about the "+chatCanary+" garden")
	tb.do("Shift+Enter", chromedp.Focus(chromedp.CSS(input)), chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierShift)))
	tb.do("type directives", chromedp.SendKeys(chromedp.CSS(input), "[[sim:delay=40ms]] [[sim:tokens=60]]"))
	want := "Tell me about the " + chatCanary + " garden\n[[sim:delay=40ms]] [[sim:tokens=60]]"
	if got := eval[string](tb, `document.querySelector('`+input+`').value`); got != want || tb.path() != "/" {
		t.Fatalf("after Shift+Enter the composer holds %q at %s, want %q and no send", got, tb.path(), want)
	}
	tb.markDocument()
	tb.do("press Enter", chromedp.SendKeys(chromedp.CSS(input), kb.Enter))
	convID := tb.waitNewPage()

	first := tb.waitStreamingText(1)
	if !tb.shown(tid("stop")) || tb.shown(tid("send")) || tb.shown(answerSel+" "+tid("regenerate")) {
		t.Error("while streaming, Stop must show and Send and Regenerate must not")
	}
	seen := []int{len(first.Text)} // text lengths seen while streaming
	shot := false
	final := tb.watchAnswer("the answer to end", func(s turnState) bool {
		if s.Status == "streaming" && len(s.Text) > seen[len(seen)-1] {
			seen = append(seen, len(s.Text))
			if !shot && len(seen) >= 2 {
				tb.viewShot("chat-streaming")
				shot = true
			}
		}
		return s.Status != "streaming"
	})
	if final.Status != "complete" || final.Notice != "" || final.Stream {
		t.Fatalf("the answer ended as %+v, want complete without a notice", final)
	}
	if len(seen) < 3 || len(final.Text) < seen[len(seen)-1] {
		t.Errorf("the answer did not grow while streaming: lengths seen %v, final %d", seen, len(final.Text))
	}
	if !tb.shown(tid("send")) || tb.shown(tid("stop")) || !tb.shown(answerSel+" "+tid("regenerate")) {
		t.Error("after the answer, Send and Regenerate must show and Stop must not")
	}
	if _, ok := tb.sidebarLink(convID); !ok {
		t.Errorf("the sidebar %+v does not list the new conversation %s", tb.sidebarLinks(), convID)
	}

	tb.reload()
	title := tb.waitTitle()
	if l, _ := tb.sidebarLink(convID); l.Title != title || !l.Active {
		t.Errorf("sidebar link %+v, want the title %q, marked active", l, title)
	}
	if again := tb.answer(); again.Text != final.Text || again.Status != "complete" {
		t.Errorf("after a reload the answer is %+v, want the streamed text %q", again, final.Text)
	}

	// The copy buttons copy the message and the answer as written.
	tb.click(userTurnSel + " " + tid("copy"))
	if got := tb.copied(); got != want {
		t.Errorf("copying the message gave %q, want %q", got, want)
	}
	raw := eval[string](tb, `document.querySelector('`+answerSel+` [data-raw]').value`)
	tb.click(answerSel + " " + tid("copy"))
	if got := tb.copied(); got == "" || got != raw {
		t.Errorf("copying the answer gave %q, want its markdown %q", got, raw)
	}

	// A follow-up in the same conversation, answered with a code block.
	id, code := tb.send("Say Here it is:\n```go\nfunc main() {\n\tprintln(\"hi\")\n}\n```\nDone.", "complete")
	if id != convID {
		t.Errorf("the follow-up went to conversation %s, want %s", id, convID)
	}
	if n := tb.count(answerSel); n != 2 || !strings.Contains(code.Text, "Done.") {
		t.Fatalf("after the follow-up: %d answers, last %+v", n, code)
	}
	block := answerSel + `:last-of-type .code-block[data-lang="go"]`
	if tb.count(block+" pre.chroma code span") == 0 {
		t.Fatalf("the code block is missing or not highlighted: %q", eval[string](tb, `document.querySelector('`+answerSel+`:last-of-type [data-body]').innerHTML`))
	}
	tb.viewShot("chat-code-block")
	tb.click(block + " [data-copy-code]")
	if got := tb.copied(); got != "func main() {\n\tprintln(\"hi\")\n}" && got != "func main() {\n\tprintln(\"hi\")\n}\n" {
		t.Errorf("the code block's copy button copied %q", got)
	}
	tb.waitFor("the copy button to say Copied", `document.querySelector('`+block+` [data-copy-code]').textContent === 'Copied'`)
}

// A long answer stops on Escape or on the Stop button: it is marked
// stopped, keeps its text with a notice, and Send comes back. A reload
// shows the same stopped answer.
func TestChatStop(t *testing.T) {
	for _, how := range []string{"escape", "button"} {
		t.Run(how, func(t *testing.T) {
			e := setup(t, testserver.Options{})
			tb := e.chatter("stella")
			tb.submitMessage("Write me a long story [[sim:delay=50ms]] [[sim:tokens=400]]")
			before := tb.waitStreamingText(30)
			if !tb.shown(tid("stop")) || tb.shown(tid("send")) {
				t.Fatal("while streaming, Stop must show and Send must not")
			}
			if how == "escape" {
				tb.do("press Escape", chromedp.KeyEvent(kb.Escape))
			} else {
				tb.click(tid("stop"))
			}
			start := time.Now()
			got := tb.waitAnswer("stopped")
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("stopping took %s", d)
			}
			if got.Notice != "Stopped. The text so far is kept." {
				t.Errorf("the stopped answer's notice is %q", got.Notice)
			}
			if len(got.Text) < len(before.Text) || len(strings.Fields(got.Text)) > 250 {
				t.Errorf("stopped answer has %d words (%d characters before stopping)", len(strings.Fields(got.Text)), len(before.Text))
			}
			if !tb.shown(tid("send")) || tb.shown(tid("stop")) || !tb.shown(answerSel+" "+tid("regenerate")) {
				t.Error("after stopping, Send and Regenerate must show and Stop must not")
			}
			if how == "escape" {
				tb.viewShot("chat-stopped")
			}
			tb.reload()
			if again := tb.answer(); again.Status != "stopped" || again.Text != got.Text || again.Notice != got.Notice {
				t.Errorf("after a reload the answer is %+v, want %+v", again, got)
			}
		})
	}
}

// Reloading while an answer streams does not stop it: the server keeps
// generating and the new page attaches to the running answer. A second
// tab on the same conversation follows it too; both end with the same
// text, which a reload confirms was stored.
func TestChatStreamSurvivesReload(t *testing.T) {
	e := setup(t, testserver.Options{})
	tb := e.chatter("rey")
	convID := tb.submitMessage("Tell a long tale [[sim:delay=40ms]] [[sim:tokens=150]]")
	before := tb.waitStreamingText(20)

	other := tb.sibling()
	other.visit("/c/" + convID)
	if s := other.answer(); s.Status != "streaming" || !s.Stream {
		t.Fatalf("the second tab opened the running answer as %+v", s)
	}
	tb.reload()
	if s := tb.answer(); s.Status != "streaming" || !s.Stream {
		t.Fatalf("after the reload the answer shows as %+v, want still streaming", s)
	}
	final := tb.waitAnswer("complete")
	otherFinal := other.waitAnswer("complete")
	if len(final.Text) <= len(before.Text) {
		t.Errorf("the answer did not go on after the reload: %d characters before, %d at the end", len(before.Text), len(final.Text))
	}
	if otherFinal.Text != final.Text {
		t.Errorf("the two tabs ended with different text:\n%q\n%q", final.Text, otherFinal.Text)
	}
	tb.reload()
	if s := tb.answer(); s.Status != "complete" || s.Text != final.Text {
		t.Errorf("after the answer, a reload shows %+v, want the streamed text", s)
	}
}

// When the backend dies part-way, the answer is marked interrupted, keeps
// its text and says why; Regenerate writes a second version that
// completes, and the first stays reachable with ‹.
func TestChatInterruptedRegenerate(t *testing.T) {
	e := setup(t, testserver.Options{Env: map[string]string{"CONFIDANT_BACKEND_URL": failOnceBackend(t)}})
	tb := e.chatter("ivy")
	const partial, full = "one two three four five", "one two three four five six seven eight nine ten"
	tb.send("Say "+full+" [[sim:fail-after=5]]", "interrupted")
	const notice = "The model stopped responding part-way. The text so far is kept; regenerate to try again."
	check := func(when string, want turnState) {
		t.Helper()
		got := tb.answer()
		got.Count, got.Stream = 0, false
		if got != want {
			t.Errorf("%s the answer shows %+v, want %+v", when, got, want)
		}
	}
	interrupted := turnState{Status: "interrupted", Text: partial, Notice: notice}
	check("after the failure", interrupted)
	if !tb.shown(tid("send")) || !tb.shown(answerSel+" "+tid("regenerate")) {
		t.Error("after the failure, Send and Regenerate must show")
	}
	tb.viewShot("chat-interrupted")
	tb.reload()
	check("after a reload", interrupted)

	tb.markDocument()
	tb.click(answerSel + " " + tid("regenerate"))
	tb.waitNewPage()
	tb.waitAnswer("complete")
	check("after regenerating", turnState{Status: "complete", Text: full, Version: "2/2"})

	tb.markDocument()
	tb.click(answerSel + ` button[aria-label="Previous version"]`)
	tb.waitNewPage()
	interrupted.Version = "1/2"
	check("back on the first version", interrupted)
	tb.markDocument()
	tb.click(answerSel + ` button[aria-label="Next version"]`)
	tb.waitNewPage()
	check("on the second version again", turnState{Status: "complete", Text: full, Version: "2/2"})
}

// Editing an earlier message starts a new branch from it: the later turns
// are not in it, the message shows "2/2", and ‹ returns to the first
// branch with its old answers.
func TestChatEditBranches(t *testing.T) {
	e := setup(t, testserver.Options{})
	tb := e.chatter("edith")
	convID, a := tb.send("Say alpha", "complete")
	_, g := tb.send("Say gamma", "complete")
	if a.Text != "alpha" || g.Text != "gamma" {
		t.Fatalf("answers %q and %q, want alpha and gamma", a.Text, g.Text)
	}
	thread := func() (users, answers []string) {
		return tb.texts(userTurnSel + " [data-body]"), tb.texts(answerSel + " [data-body]")
	}

	tb.click(userTurnSel + " " + tid("edit")) // the first message's
	edit := `dialog[open] ` + tid("edit-input")
	tb.waitVisible(edit)
	if got := eval[string](tb, `document.querySelector('`+edit+`').value`); got != "Say alpha" {
		t.Errorf("the edit dialog starts with %q, want the message", got)
	}
	tb.fill(edit, "Say beta")
	tb.viewShot("chat-edit-dialog")
	tb.markDocument()
	tb.click(`dialog[open] ` + tid("edit-send"))
	if id := tb.waitNewPage(); id != convID {
		t.Errorf("the edit went to conversation %s, want %s", id, convID)
	}
	tb.waitAnswer("complete")
	if users, answers := thread(); !slices.Equal(users, []string{"Say beta"}) || !slices.Equal(answers, []string{"beta"}) {
		t.Errorf("the new branch shows %q / %q, want only the edited exchange", users, answers)
	}
	if u := tb.lastTurn(userTurnSel); u.Version != "2/2" {
		t.Errorf("the edited message shows version %q, want 2/2", u.Version)
	}

	tb.markDocument()
	tb.click(userTurnSel + ` button[aria-label="Previous version"]`)
	tb.waitNewPage()
	if users, answers := thread(); !slices.Equal(users, []string{"Say alpha", "Say gamma"}) || !slices.Equal(answers, []string{"alpha", "gamma"}) {
		t.Errorf("the first branch shows %q / %q, want both old exchanges", users, answers)
	}
	if v := tb.texts(userTurnSel + " " + tid("version")); !slices.Equal(v, []string{"1/2"}) {
		t.Errorf("version indicators on the first branch: %q, want [1/2] on the first message", v)
	}
	tb.reload()
	if users, _ := thread(); !slices.Equal(users, []string{"Say alpha", "Say gamma"}) {
		t.Errorf("after a reload the branch on show is %q", users)
	}
}

// The conversation menu renames, pins, archives and deletes; deleting asks
// first, and afterwards neither the sidebar nor the address knows it.
func TestChatConversationMenu(t *testing.T) {
	e := setup(t, testserver.Options{})
	const renamed = "Renamed " + chatCanary + " chat"
	e.secret(chatCanary)
	tb := e.chatter("max")
	first, _ := tb.send("Say first conversation", "complete")
	tb.visit("/")
	second, _ := tb.send("Say second conversation", "complete")
	if l := tb.sidebarLinks(); len(l) != 2 || l[0].Href != "/c/"+second || l[1].Href != "/c/"+first {
		t.Fatalf("sidebar %+v, want the two conversations, newest first", l)
	}
	tb.waitTitle() // a title generated later would replace the new name
	menu := func(item string) {
		t.Helper()
		tb.click(tid("conv-menu"))
		tb.waitVisible(tid(item))
	}

	menu("conv-rename")
	tb.viewShot("chat-menu-open")
	tb.click(tid("conv-rename"))
	tb.fill(`dialog[open] `+tid("conv-rename-input"), renamed)
	tb.markDocument()
	tb.click(`dialog[open] ` + tid("conv-rename-save"))
	tb.waitNewPage()
	if got := tb.text(tid("chat-title")); got != renamed {
		t.Errorf("after renaming the title is %q", got)
	}
	if l, _ := tb.sidebarLink(second); l.Title != renamed || !l.Active {
		t.Errorf("after renaming the sidebar shows %+v", l)
	}

	menu("conv-pin")
	tb.markDocument()
	tb.click(tid("conv-pin"))
	tb.waitNewPage()
	if l, _ := tb.sidebarLink(second); !l.Pinned {
		t.Errorf("after pinning the sidebar shows %+v", l)
	}
	if got := eval[string](tb, `document.querySelector('`+tid("conv-pin")+`').textContent.trim()`); got != "Unpin" {
		t.Errorf("a pinned conversation's menu offers %q, want Unpin", got)
	}

	tb.visit("/c/" + first)
	menu("conv-archive")
	tb.markDocument()
	tb.click(tid("conv-archive"))
	tb.waitNewPage()
	if _, ok := tb.sidebarLink(first); ok {
		t.Errorf("an archived conversation is still in the sidebar: %+v", tb.sidebarLinks())
	}
	if got := eval[string](tb, `document.querySelector('`+tid("conv-archive")+`').textContent.trim()`); got != "Restore from archive" {
		t.Errorf("an archived conversation's menu offers %q", got)
	}

	tb.visit("/c/" + second)
	menu("conv-delete")
	tb.click(tid("conv-delete"))
	tb.waitVisible(`dialog[open] ` + tid("conv-delete-confirm"))
	tb.click(`dialog[open] ` + tid("conv-delete-confirm"))
	tb.waitPath("/")
	if _, ok := tb.sidebarLink(second); ok {
		t.Errorf("a deleted conversation is still in the sidebar: %+v", tb.sidebarLinks())
	}
	res, err := chromedp.Run(tb.ctx, chromedp.NavigateResponse(e.srv.URL+"/c/"+second))
	if err != nil {
		tb.fail("open the deleted conversation: %v", err)
	}
	if res.Status != 404 || tb.text("h1") != "Page not found" {
		t.Errorf("the deleted conversation's address answers %d with %q, want the 404 page", res.Status, tb.text("h1"))
	}
}

// The sidebar's search box finds conversations by a word of their
// messages, says so when nothing matches, and lists all again when
// emptied.
func TestChatSearch(t *testing.T) {
	e := setup(t, testserver.Options{})
	e.secret("marmalade")
	tb := e.chatter("sue")
	jam, _ := tb.send("Say my grandmother keeps a marmalade recipe", "complete")
	tb.visit("/")
	garage, _ := tb.send("Say the garage needs tidying", "complete")
	search := func(q string, want ...string) {
		t.Helper()
		tb.fill(tid("conv-search"), q)
		if q == "" { // typing nothing fires no input event
			tb.do("notify htmx", chromedp.Evaluate[chromedp.Void](`document.querySelector('`+tid("conv-search")+`').dispatchEvent(new Event('input', {bubbles: true}))`))
		}
		hrefs := make([]string, len(want))
		for i, id := range want {
			hrefs[i] = "/c/" + id
		}
		w := fmt.Sprintf("%q", strings.Join(hrefs, " "))
		tb.waitFor(fmt.Sprintf("search %q to list %v", q, hrefs), `!document.querySelector('.htmx-request') && Array.from(document.querySelectorAll('`+tid("conv-link")+`'), (a) => a.getAttribute('href')).join(' ') === `+w)
	}
	search("marmalade", jam)
	search("TIDYING", garage)
	search("zyzzyva")
	if got := tb.text(tid("conv-list")); !strings.Contains(got, "No conversation matches") {
		t.Errorf("an empty search result says %q", got)
	}
	search("", garage, jam)
}

// A conversation with a long code line, a long word and a long link, in
// the message and in the answer, fits the screen without sideways
// scrolling, at phone width and on a desktop: code blocks scroll inside,
// words wrap. At phone width the composer is on screen and the
// conversation menu opens inside it.
func TestChatLongLinesFit(t *testing.T) {
	e := setup(t, testserver.Options{})
	tb := e.newTab()
	tb.do("emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	tb.signUp(signup{Username: "pat", DisplayName: canaryDisplay})
	tb.expectFits("the new-chat page at phone width")
	long := strings.Repeat("Supercalifragilistic", 6)
	tb.send("Say Look:\n```go\nfunc main() { fmt.Println(\""+strings.Repeat("wide ", 30)+"\") }\n```\n"+
		long+" at https://example.org/"+strings.Repeat("path/", 20)+" end.", "complete")
	tb.viewShot("phone-chat")
	tb.expectFits("a conversation at phone width")
	type box struct{ Top, Bottom, Left, Right, W, H float64 }
	rect := func(sel string) box {
		return eval[box](tb, `(() => { const r = document.querySelector('`+sel+`').getBoundingClientRect();
			return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, w: document.documentElement.clientWidth, h: innerHeight}; })()`)
	}
	if r := rect(tid("composer")); r.Top < 0 || r.Bottom > r.H+0.5 || r.Left < 0 || r.Right > r.W+0.5 {
		t.Errorf("the composer is not on screen: %+v", r)
	}
	tb.click(tid("conv-menu"))
	tb.waitVisible(tid("conv-delete"))
	if r := rect(`details[open] .menu-panel`); r.Left < 0 || r.Right > r.W+0.5 {
		t.Errorf("the conversation menu sticks out of the screen: %+v", r)
	}
	tb.viewShot("phone-chat-menu")

	tb.do("desktop", chromedp.EmulateViewport(1280, 900))
	tb.reload()
	tb.expectFits("a conversation on a desktop")
	tb.viewShot("chat-long-lines")
}

// When the backend cannot answer at all, the answer is marked failed with
// a notice and no text, and Regenerate is offered.
func TestChatFailedAnswer(t *testing.T) {
	e := setup(t, testserver.Options{})
	tb := e.chatter("fay")
	_, s := tb.send("Say nothing at all [[sim:fail-after=0]]", "failed")
	if s.Text != "" || s.Notice != "The model could not answer. Regenerate to try again." {
		t.Errorf("the failed answer shows %+v", s)
	}
	if !tb.shown(tid("send")) || !tb.shown(answerSel+" "+tid("regenerate")) {
		t.Error("after a failure, Send and Regenerate must show")
	}
}

// A conversation whose first answer broke off gets its title once a
// regenerated answer completes, like any other conversation.
func TestChatTitleAfterRetry(t *testing.T) {
	e := setup(t, testserver.Options{Env: map[string]string{"CONFIDANT_BACKEND_URL": failOnceBackend(t)}})
	tb := e.chatter("tim")
	tb.send("Say hello there my friend [[sim:fail-after=2]]", "interrupted")
	tb.markDocument()
	tb.click(answerSel + " " + tid("regenerate"))
	tb.waitNewPage()
	tb.waitAnswer("complete")
	tb.waitTitle()
}
