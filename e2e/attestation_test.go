package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"confidant/enclave/evidence"
	"confidant/inference/signing"
	"confidant/internal/testserver"
)

// badge is what an answer's verification badge shows.
type badge struct {
	State string `json:"state"`
	Text  string `json:"text"`
	Label string `json:"label"`
	Title string `json:"title"`
	Href  string `json:"href"`
}

// lastBadgeJS reads the badge of the last answer; state "" while none.
const lastBadgeJS = `(() => {
	const all = document.querySelectorAll('[data-testid="turn-assistant"]'), t = all[all.length - 1];
	const b = t && t.querySelector('[data-testid="answer-badge"]');
	if (!b) return {state: ''};
	return {state: b.dataset.state, text: b.textContent.trim(), label: b.getAttribute('aria-label') || '',
		title: b.getAttribute('title') || '', href: b.getAttribute('href') || ''};
})()`

// waitBadge waits until the last answer shows its badge and returns it.
func (tb *tab) waitBadge() badge {
	tb.t.Helper()
	tb.waitFor("the answer's verification badge", lastBadgeJS+".state !== ''")
	return eval[badge](tb, lastBadgeJS)
}

// A person sends a message to the simulated backend: the answer streams,
// then its badge appears ("simulated", amber) without a reload, stays
// after a reload, and leads to the evidence for that answer: the backend,
// its signing key, the signature and the signed text. The header shield is
// amber and leads to /attestation, which shows the backend's checks and
// how to verify independently, at desktop and phone width, light and dark.
func TestAnswerBadgeAmber(t *testing.T) {
	e := setup(t, testserver.Options{})
	e.secret(chatCanary)
	tb := e.chatter("vera")
	convID, _ := tb.send("Tell me about the "+chatCanary+" orchard [[sim:delay=15ms]] [[sim:tokens=30]]", "complete")
	b := tb.waitBadge()
	if b.State != "amber" || !strings.Contains(b.Text, "simulated") || b.Label == "" || b.Title == "" || !strings.HasPrefix(b.Href, "/attestation/messages/") {
		t.Fatalf("badge after streaming = %+v, want an amber 'simulated' link with a label and title", b)
	}
	tb.send("And one more thing [[sim:tokens=12]]", "complete")
	tb.waitBadge()

	tb.reload()
	if got := eval[badge](tb, lastBadgeJS); got != b && got.State != "amber" {
		t.Fatalf("after a reload the badge is %+v", got)
	}
	if n := eval[int](tb, `document.querySelectorAll('[data-testid="answer-badge"]').length`); n != 2 {
		t.Errorf("%d badges after a reload, want one per answer (2)", n)
	}
	if s := tb.text(tid("shield")); !strings.Contains(s, "Simulated") {
		t.Errorf("shield says %q, want Simulated", s)
	}
	for _, scheme := range []string{"light", "dark"} {
		tb.colorScheme(scheme)
		tb.viewShot("shield-conversation-amber-" + scheme)
	}

	tb.markDocument()
	tb.do("open the first answer's evidence", chromedp.Click(chromedp.CSS(`[data-testid="answer-badge"]`)))
	tb.waitFor("the evidence page", `!window.__e2eOld && location.pathname.startsWith('/attestation/messages/') && document.readyState === 'complete'`)
	for _, sel := range []string{"evidence-signature", "evidence-text", "evidence-signer", "evidence-backend", "evidence-state"} {
		if tb.text(tid(sel)) == "" {
			t.Errorf("the evidence page shows no %s", sel)
		}
	}
	if txt := tb.text(tid("evidence-text")); len(txt) != 129 || txt[64] != ':' {
		t.Errorf("signed text %q is not sha256:sha256", txt)
	}
	tb.screenshot("shield-answer-evidence-amber-dark")
	tb.colorScheme("light")
	tb.screenshot("shield-answer-evidence-amber-light")
	tb.click(`a[href="/c/` + convID + `"]`)
	tb.waitPath("/c/" + convID)

	tb.markDocument()
	tb.click(tid("shield"))
	tb.waitFor("the verification page", `!window.__e2eOld && location.pathname === '/attestation' && document.readyState === 'complete'`)
	if got := tb.count(`[data-testid="backend-verdict"][data-state="amber"]`); got != 1 {
		t.Errorf("%d amber backend verdicts on /attestation, want 1", got)
	}
	if cmd := tb.text(tid("verify-command")); cmd != "confidant verify "+e.srv.URL {
		t.Errorf("verify command %q", cmd)
	}
	if href := eval[string](tb, `document.querySelector('[data-testid="raw-evidence"]').getAttribute('href')`); !strings.HasPrefix(href, "/v1/attestation/report?nonce=") {
		t.Errorf("raw evidence link %q", href)
	}
	tb.screenshot("shield-attestation-amber-light")
	tb.colorScheme("dark")
	tb.screenshot("shield-attestation-amber-dark")
	tb.do("emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	tb.visit("/attestation")
	tb.expectFits("/attestation at phone width")
	tb.screenshot("shield-attestation-phone-dark")
	tb.visit(b.Href)
	tb.expectFits("an answer's evidence at phone width")
	tb.screenshot("shield-answer-evidence-phone-dark")
	tb.visit("/c/" + convID)
	tb.expectFits("a conversation with badges at phone width")
	tb.viewShot("shield-conversation-phone-dark")
}

// failingVerifier judges every backend report as failed, as the real
// verifier does for a quote that does not verify.
type failingVerifier struct{}

func (failingVerifier) VerifyReport(_ context.Context, r signing.Report, _ [32]byte) evidence.Verdict {
	v := evidence.Verdict{State: evidence.Green, SigningAddress: r.SigningAddress, SigningAlgo: string(r.SigningAlgo), VerifiedAt: time.Now()}
	v.Add(evidence.Check{Name: "tdx_quote", Status: evidence.Fail, Detail: "the TDX quote signature does not verify"})
	v.Add(evidence.Check{Name: "report_data", Status: evidence.Pass, Detail: "the quote binds the signing key to our fresh nonce"})
	return v
}

// With a backend that fails verification, a person's message is kept but
// nothing is sent: the answer ends failed with the reason in words, its
// badge is red, and the shield is red and says why; /attestation shows
// the failed check.
func TestRedBackendShield(t *testing.T) {
	e := setup(t, testserver.Options{Verifier: failingVerifier{}})
	e.secret(chatCanary)
	tb := e.chatter("rhea")
	convID := tb.submitMessage("Keep this " + chatCanary + " note private")
	a := tb.waitAnswer("failed")
	want := "The AI backend failed verification: the TDX quote signature does not verify. Your message is saved; nothing was sent."
	if a.Notice != want {
		t.Fatalf("notice %q, want %q", a.Notice, want)
	}
	if b := tb.waitBadge(); b.State != "red" || !strings.Contains(b.Text, "not verified") {
		t.Fatalf("badge %+v, want red 'not verified'", b)
	}
	tb.reload()
	if u := tb.lastTurn(userTurnSel); !strings.Contains(u.Text, chatCanary) {
		t.Errorf("the message was not kept: %+v", u)
	}
	if a := tb.answer(); a.Notice != want {
		t.Errorf("after a reload the notice is %q", a.Notice)
	}
	shield := eval[badge](tb, `(() => { const s = document.querySelector('[data-testid="shield"]'); return {state: s.className, text: s.textContent.trim(), title: s.title}; })()`)
	if !strings.Contains(shield.State, "shield-red") || !strings.Contains(shield.Title, "the TDX quote signature does not verify") {
		t.Errorf("shield %+v, want red with the reason", shield)
	}
	for _, scheme := range []string{"light", "dark"} {
		tb.colorScheme(scheme)
		tb.viewShot("shield-conversation-red-" + scheme)
	}
	tb.visit("/attestation")
	if got := tb.count(`[data-testid="backend-verdict"][data-state="red"]`); got != 1 {
		t.Errorf("%d red backend verdicts, want 1", got)
	}
	tb.screenshot("shield-attestation-red-dark")
	tb.colorScheme("light")
	tb.screenshot("shield-attestation-red-light")
	if tb.path() != "/attestation" || convID == "" {
		t.Errorf("ended at %s", tb.path())
	}
}
