package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"confidant/enclave/evidence"
	"confidant/inference/signing"
	"confidant/internal/softauthn"
	"confidant/internal/testclient"
	"confidant/internal/testserver"
)

var badgeState = regexp.MustCompile(`data-testid="answer-badge" data-state="([a-z]+)"`)

// waitBadge polls an answer's badge fragment until its check has landed.
func waitBadge(t *testing.T, c *testclient.Client, msgID string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, body := c.Get("/attestation/messages/" + msgID + "/badge")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("badge: %d", res.StatusCode)
		}
		if m := badgeState.FindStringSubmatch(body); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("badge never landed: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAnswerBadgeAndEvidence(t *testing.T) {
	srv := start(t)
	alice := testclient.New(t, srv)
	alice.SignUp(softauthn.New(srv.URL), "alice", "Alice")
	alice.Get("/")
	loc, page := send(t, alice, "/c", "Say the evidence holds")
	readStream(t, alice, lastAnswerStream(t, loc, page), "")
	ids := rawID.FindAllStringSubmatch(page, -1)
	userMsg, answer := ids[0][1], ids[len(ids)-1][1]

	if got := waitBadge(t, alice, answer); got != "amber" {
		t.Fatalf("simulated backend badge = %s, want amber", got)
	}
	// The badge survives a reload.
	_, page = alice.Get(loc)
	if m := badgeState.FindStringSubmatch(page); m == nil || m[1] != "amber" || !strings.Contains(page, "simulated") ||
		!strings.Contains(page, `href="/attestation/messages/`+answer+`"`) {
		t.Fatal("reloaded conversation does not show the answer's badge")
	}

	res, ev := alice.Get("/attestation/messages/" + answer)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("evidence page: %d", res.StatusCode)
	}
	for _, want := range []string{`data-testid="evidence-signature"`, `data-testid="evidence-text"`, `data-testid="evidence-signer"`,
		"Key and nonce binding", `class="check check-skipped"`, `data-testid="evidence-state"`} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence page lacks %q", want)
		}
	}
	text := regexp.MustCompile(`data-testid="evidence-text">([0-9a-f]{64}:[0-9a-f]{64})<`).FindStringSubmatch(ev)
	if text == nil {
		t.Fatal("signed text is not two sha256 hashes")
	}

	// Only the owner sees an answer's evidence or badge.
	bob := testclient.New(t, srv)
	bob.SignUp(softauthn.New(srv.URL), "bob", "Bob")
	tests := []struct {
		name   string
		c      *testclient.Client
		path   string
		status int
	}{
		{"another user's evidence", bob, "/attestation/messages/" + answer, http.StatusNotFound},
		{"another user's badge", bob, "/attestation/messages/" + answer + "/badge", http.StatusNotFound},
		{"a question, not an answer", alice, "/attestation/messages/" + userMsg, http.StatusNotFound},
		{"malformed id", alice, "/attestation/messages/nope", http.StatusNotFound},
		{"signed out", testclient.New(t, srv), "/attestation/messages/" + answer, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.HTTP.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			res, body := tt.c.Get(tt.path)
			if res.StatusCode != tt.status {
				t.Fatalf("%s: %d, want %d", tt.path, res.StatusCode, tt.status)
			}
			if strings.Contains(body, text[1]) {
				t.Fatal("evidence leaked")
			}
		})
	}
}

// redVerifier fails every report, as a backend with a bad quote would.
type redVerifier struct{}

func (redVerifier) VerifyReport(_ context.Context, r signing.Report, _ [32]byte) evidence.Verdict {
	v := evidence.Verdict{State: evidence.Green, SigningAddress: r.SigningAddress, SigningAlgo: string(r.SigningAlgo), VerifiedAt: time.Now()}
	v.Add(evidence.Check{Name: "tdx_quote", Status: evidence.Fail, Detail: "the TDX quote signature does not verify"})
	return v
}

func TestRedBackendIsRefusedAndShown(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Verifier: redVerifier{}})
	alice := testclient.New(t, srv)
	device := softauthn.New(srv.URL)
	alice.SignUp(device, "alice", "Alice")
	alice.Get("/")
	loc, page := send(t, alice, "/c", "Say something private")
	_, events := readStream(t, alice, lastAnswerStream(t, loc, page), "")
	last := events[len(events)-1]
	wantNotice := "The AI backend failed verification: the TDX quote signature does not verify. Your message is saved; nothing was sent."
	if last.Data.Status != "failed" || last.Data.Notice != wantNotice {
		t.Fatalf("end event %+v", last.Data)
	}
	_, page = alice.Get(loc)
	for _, want := range []string{"Say something private", wantNotice, `data-testid="answer-badge" data-state="red"`,
		`class="shield shield-red"`, "the TDX quote signature does not verify"} {
		if !strings.Contains(page, want) {
			t.Errorf("reloaded page lacks %q", want)
		}
	}
	// The API says so too, with its own status.
	key := alice.CreateAPIKey(device, "red", "chat")
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"sim-chat","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	if res, out := alice.Do(req); res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(out), "failed verification") {
		t.Errorf("API completion with every backend red: %d %s", res.StatusCode, out)
	}
	res, ready := alice.Get("/readyz")
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(ready, `"backend verdict":"failing"`) {
		t.Errorf("/readyz with every backend red: %d %s", res.StatusCode, ready)
	}
	_, att := alice.Get("/attestation")
	if !strings.Contains(att, `data-testid="backend-verdict" data-state="red"`) || !strings.Contains(att, "it gets nothing") {
		t.Error("/attestation does not show the failed backend")
	}
}

func TestAttestationPage(t *testing.T) {
	srv := start(t)
	c := testclient.New(t, srv)
	c.Get("/login") // the app verifies its backends at start; give it a moment
	deadline := time.Now().Add(5 * time.Second)
	var body string
	for time.Now().Before(deadline) {
		_, body = c.Get("/attestation")
		if strings.Contains(body, `data-testid="backend-verdict"`) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{`data-testid="backend-verdict" data-state="amber"`, "development mode", "Key and nonce binding",
		"confidant verify " + srv.URL, `href="/verifier/"`, "App id", `class="shield shield-amber"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/attestation lacks %q", want)
		}
	}
	if res, ready := c.Get("/readyz"); res.StatusCode != http.StatusOK || !strings.Contains(ready, `"backend verdict":"ok"`) {
		t.Errorf("/readyz with a simulated backend: %d %s", res.StatusCode, ready)
	}
	links := regexp.MustCompile(`href="/v1/attestation/report\?nonce=([0-9a-f]{64})"`)
	_, again := c.Get("/attestation")
	a, b := links.FindStringSubmatch(body), links.FindStringSubmatch(again)
	if a == nil || b == nil || a[1] == b[1] {
		t.Error("the raw evidence link does not carry a fresh nonce each time")
	}
}

// greenVerifier passes every report, as the real verifier does with test
// trust roots for a backend on real hardware.
type greenVerifier struct{}

func (greenVerifier) VerifyReport(_ context.Context, r signing.Report, _ [32]byte) evidence.Verdict {
	v := evidence.Verdict{State: evidence.Green, SigningAddress: r.SigningAddress, SigningAlgo: string(r.SigningAlgo), VerifiedAt: time.Now()}
	v.Add(evidence.Check{Name: "tdx_quote", Status: evidence.Pass, Detail: "signed by the test root; TCB up to date"})
	return v
}

// A verified backend's answer is green, but the header shield stays amber
// while the app itself runs without a TEE.
func TestGreenBackendAnswerOnSimulatedApp(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Verifier: greenVerifier{}})
	alice := testclient.New(t, srv)
	alice.SignUp(softauthn.New(srv.URL), "alice", "Alice")
	alice.Get("/")
	loc, page := send(t, alice, "/c", "Say green")
	readStream(t, alice, lastAnswerStream(t, loc, page), "")
	ids := rawID.FindAllStringSubmatch(page, -1)
	answer := ids[len(ids)-1][1]
	if got := waitBadge(t, alice, answer); got != "green" {
		t.Fatalf("badge %s, want green", got)
	}
	_, ev := alice.Get("/attestation/messages/" + answer)
	if !strings.Contains(ev, "signed by the attested key of a backend verified on real hardware") || !strings.Contains(ev, "TCB up to date") {
		t.Error("evidence page does not say the answer is verified")
	}
	if !strings.Contains(ev, `class="shield shield-amber"`) {
		t.Error("the shield must stay amber while the app is simulated")
	}
}
