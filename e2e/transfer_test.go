package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"confidant/internal/testserver"
)

// at is the tab showing another instance of the app: the same browser tab
// and passkeys, with paths resolved against that instance.
func (tb *tab) at(e *env) *tab {
	return &tab{e: e, t: tb.t, ctx: tb.ctx, auth: tb.auth}
}

// waitHostPath waits until the tab shows path on the given origin.
func (tb *tab) waitHostPath(origin, path string) {
	tb.t.Helper()
	o, _ := json.Marshal(origin)
	p, _ := json.Marshal(path)
	tb.waitFor("page "+origin+path, fmt.Sprintf(`location.origin === %s && location.pathname === %s && document.readyState === 'complete'`, o, p))
}

// longer gives a test that walks through two instances more time.
func longer(e *env, d time.Duration) {
	ctx, cancel := context.WithTimeout(newBrowser(e.t), d)
	e.t.Cleanup(cancel)
	e.ctx = ctx
}

// A person with chats on one Confidant moves them to another through the
// pages: they start on the destination, review what the destination
// proves on the source, confirm with a passkey, and find their chats on
// the destination. Both instances are simulated and allow simulated peers.
func TestForkTransfer(t *testing.T) {
	allow := map[string]string{"CONFIDANT_TRANSFER_ALLOW_SIMULATED": "1"}
	dst := setup(t, testserver.Options{Env: allow})
	longer(dst, 3*time.Minute) // two sign-ups, two chats and a transfer
	src := &env{t: t, ctx: dst.ctx, srv: testserver.Start(t, testserver.Options{Host: "source.localhost", Env: allow})}
	t.Cleanup(src.checkLogs)

	srcTab := dst.newTab().at(src)
	srcTab.signUp(signup{Username: "mover", DisplayName: canaryDisplay})
	secretWords := "Canary-Chat-5d1e: the lighthouse key is under the blue stone"
	srcTab.send(secretWords, "complete")
	srcTab.visit("/")
	srcTab.send("Second chat about tide tables", "complete")
	src.secret(secretWords)
	dst.secret(secretWords)

	dstTab := srcTab.at(dst)
	dstTab.signUp(signup{Username: "mover", DisplayName: canaryDisplay})
	dstTab.visit("/settings/transfer")
	dstTab.fill(tid("transfer-source"), src.srv.URL)
	dstTab.click(tid("transfer-start"))
	dstTab.waitVisible(tid("transfer-go-source"))
	next, err := url.Parse(eval[string](dstTab, `document.querySelector('[data-testid="transfer-go-source"]').href`))
	if err != nil || next.Query().Get("token") == "" {
		t.Fatalf("the link to the source carries no token: %v", next)
	}
	src.secret(next.Query().Get("token")) // the one-time upload token never reaches a log
	dst.secret(next.Query().Get("token"))
	dstTab.click(tid("transfer-go-source"))

	srcTab.waitHostPath(src.srv.URL, "/transfer/out")
	srcTab.waitVisible(tid("transfer-simulated"))
	if got := srcTab.text(tid("transfer-destination")); got != dst.srv.URL {
		t.Errorf("the page names destination %q, want %q", got, dst.srv.URL)
	}
	if got := srcTab.text(tid("transfer-account")); got != "@mover" {
		t.Errorf("the page names account %q", got)
	}
	if facts := srcTab.text(tid("transfer-facts")); !strings.Contains(facts, "Compose hash") {
		t.Errorf("the page shows no measurements: %q", facts)
	}
	confirmURL := strings.TrimPrefix(eval[string](srcTab, `location.href`), src.srv.URL)
	srcTab.colorScheme("light")
	srcTab.screenshot("transfer-confirm-light")
	srcTab.do("emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	srcTab.open(confirmURL) // a fresh offer at phone width
	srcTab.waitVisible(tid("transfer-confirm"))
	srcTab.expectFits("the transfer confirmation at phone width")
	srcTab.screenshot("transfer-confirm-phone-light")
	srcTab.do("back to desktop", chromedp.EmulateViewport(1280, 900))

	srcTab.click(tid("transfer-confirm"))
	srcTab.waitFor("the send to finish", `!!document.querySelector('[data-testid="transfer-send-status"][data-state="done"]')`)
	srcTab.screenshot("transfer-sent")
	srcTab.click(tid("transfer-continue"))

	dstTab.waitFor("the import to finish", `!!document.querySelector('[data-testid="transfer-status"][data-state="done"]')`)
	dstTab.screenshot("transfer-imported")
	if got := dstTab.text(tid("transfer-done")); !strings.Contains(got, "conversation") {
		t.Errorf("the destination says %q", got)
	}
	dstTab.visit("/")
	links := dstTab.sidebarLinks()
	if len(links) != 2 {
		t.Fatalf("the destination lists %d conversations, want 2: %+v", len(links), links)
	}
	dstTab.click(`[data-testid="conv-link"]:last-of-type`)
	dstTab.waitFor("a conversation page", `location.pathname.startsWith('/c/')`)
	found := false
	for _, l := range links {
		dstTab.visit(l.Href)
		if strings.Contains(eval[string](dstTab, `document.body.innerText`), "lighthouse key is under the blue stone") {
			found = true
		}
	}
	if !found {
		t.Error("the moved conversation's message is not on the destination")
	}
}

// A source without CONFIDANT_TRANSFER_ALLOW_SIMULATED refuses a simulated
// destination and says why, offering no confirmation.
func TestForkTransferRefusesSimulatedDestination(t *testing.T) {
	dst := setup(t, testserver.Options{Env: map[string]string{"CONFIDANT_TRANSFER_ALLOW_SIMULATED": "1"}})
	longer(dst, 2*time.Minute)
	src := &env{t: t, ctx: dst.ctx, srv: testserver.Start(t, testserver.Options{Host: "source.localhost"})}
	t.Cleanup(src.checkLogs)

	srcTab := dst.newTab().at(src)
	srcTab.signUp(signup{Username: "mover", DisplayName: canaryDisplay})
	dstTab := srcTab.at(dst)
	dstTab.signUp(signup{Username: "mover", DisplayName: canaryDisplay})
	dstTab.visit("/settings/transfer")
	dstTab.fill(tid("transfer-source"), src.srv.URL)
	dstTab.click(tid("transfer-start"))
	dstTab.click(tid("transfer-go-source"))

	srcTab.waitHostPath(src.srv.URL, "/transfer/out")
	srcTab.waitVisible(tid("transfer-refused"))
	msg := srcTab.text(tid("transfer-refused"))
	if !strings.Contains(msg, "simulated enclave") || !strings.Contains(msg, "CONFIDANT_TRANSFER_ALLOW_SIMULATED=1") {
		t.Errorf("the refusal says %q", msg)
	}
	if srcTab.count(tid("transfer-confirm")) != 0 {
		t.Error("a refused destination can still be confirmed")
	}
	srcTab.screenshot("transfer-refused-simulated")
}
