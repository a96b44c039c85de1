package inference_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"confidant/enclave/evidence"
	"confidant/inference"
	"confidant/inference/signing"
	"confidant/inference/simbackend"
)

// scriptedVerifier stands in for evidence.Verifier: verdict n (0-based)
// comes from script[min(n, len-1)], applied to the report received.
type scriptedVerifier struct {
	calls  atomic.Int32
	script []func(r signing.Report) evidence.Verdict
}

func (s *scriptedVerifier) VerifyReport(_ context.Context, r signing.Report, nonce [32]byte) evidence.Verdict {
	n := int(s.calls.Add(1)) - 1
	if got, err := signing.ParseNonce(r.RequestNonce); err != nil || got != nonce {
		return evidence.Verdict{State: evidence.Red, Checks: []evidence.Check{{Name: "nonce", Status: evidence.Fail, Detail: "nonce not echoed"}}}
	}
	return s.script[min(n, len(s.script)-1)](r)
}

// verdict returns a script step: state for the report's own signing
// address, or for address when it is not "".
func verdict(state evidence.State, address, detail string) func(signing.Report) evidence.Verdict {
	return func(r signing.Report) evidence.Verdict {
		v := evidence.Verdict{State: evidence.Green, SigningAddress: r.SigningAddress, SigningAlgo: string(r.SigningAlgo)}
		if address != "" {
			v.SigningAddress = address
		}
		switch state {
		case evidence.Green:
			v.Add(evidence.Check{Name: "tdx_quote", Status: evidence.Pass, Detail: "signed by test root"})
		case evidence.Amber:
			v.Simulated = true
			v.Add(evidence.Check{Name: "tdx_quote", Status: evidence.Skipped, Detail: detail})
		case evidence.Red:
			v.Add(evidence.Check{Name: "tdx_quote", Status: evidence.Fail, Detail: detail})
		}
		return v
	}
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newAttestor(t *testing.T, c *inference.Client, v inference.ReportVerifier, now *clock) *inference.Attestor {
	t.Helper()
	a, err := inference.NewAttestor(c, inference.AttestorOptions{Verifier: v, TTL: 10 * time.Minute, Now: now.Now})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func streamOnce(t *testing.T, a *inference.Attestor, prompt string) (inference.Result, error) {
	t.Helper()
	var deltas []inference.Delta
	return a.Stream(context.Background(), chat(prompt), collect(&deltas))
}

func TestAttestorVerifiesOnceAndCaches(t *testing.T) {
	b := newBackend(t, simbackend.Options{DefaultTokens: 5})
	v := &scriptedVerifier{script: []func(signing.Report) evidence.Verdict{verdict(evidence.Amber, "", "simulated quote")}}
	now := &clock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	a := newAttestor(t, newClient(t, inference.Config{}, b.URL), v, now)

	if got := a.Verdicts(); len(got) != 0 {
		t.Fatalf("verdicts before first use: %v", got)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := streamOnce(t, a, "hello"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for range 3 {
		if _, err := streamOnce(t, a, "again"); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.calls.Load(); n != 1 {
		t.Errorf("verifier called %d times for 11 streams, want 1", n)
	}
	if n := b.reports.Load(); n != 1 {
		t.Errorf("%d reports fetched, want 1", n)
	}
	if n := b.chats.Load(); n != 11 {
		t.Errorf("backend saw %d chats, want 11", n)
	}
	vs := a.Verdicts()
	if len(vs) != 1 || vs[0].Verdict.State != evidence.Amber || vs[0].Backend != b.URL {
		t.Fatalf("verdicts = %+v", vs)
	}
	if !strings.Contains(string(vs[0].Report), `"intel_quote"`) {
		t.Errorf("raw report not kept: %.80s", vs[0].Report)
	}
	if got := a.LatestReports(); len(got) != 1 {
		t.Errorf("latest reports: %d, want 1", len(got))
	}
}

func TestAttestorReverifiesAfterExpiry(t *testing.T) {
	b := newBackend(t, simbackend.Options{DefaultTokens: 3})
	v := &scriptedVerifier{script: []func(signing.Report) evidence.Verdict{verdict(evidence.Amber, "", "simulated quote")}}
	now := &clock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	a := newAttestor(t, newClient(t, inference.Config{}, b.URL), v, now)

	steps := []struct {
		advance   time.Duration
		wantCalls int32
	}{
		{0, 1},
		{9 * time.Minute, 1},  // still within the 10 minute TTL
		{2 * time.Minute, 2},  // expired: verified again
		{time.Minute, 2},      // the new verdict is cached
		{10 * time.Minute, 3}, // expired again
	}
	for i, s := range steps {
		now.Add(s.advance)
		if _, err := streamOnce(t, a, "hi"); err != nil {
			t.Fatal(err)
		}
		if got := v.calls.Load(); got != s.wantCalls {
			t.Errorf("step %d: verifier called %d times, want %d", i, got, s.wantCalls)
		}
	}
}

func TestAttestorRedSendsNothing(t *testing.T) {
	b := newBackend(t, simbackend.Options{})
	v := &scriptedVerifier{script: []func(signing.Report) evidence.Verdict{verdict(evidence.Red, "", "quote signature invalid")}}
	now := &clock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	a := newAttestor(t, newClient(t, inference.Config{}, b.URL), v, now)

	for range 3 {
		_, err := streamOnce(t, a, "my secret question")
		var ue *inference.UnverifiedError
		if !errors.As(err, &ue) || !errors.Is(err, inference.ErrUnverified) {
			t.Fatalf("err = %v, want UnverifiedError", err)
		}
		if !strings.Contains(ue.Reason, "quote signature invalid") {
			t.Errorf("reason %q does not say why", ue.Reason)
		}
	}
	if n := b.chats.Load(); n != 0 {
		t.Fatalf("a red backend got %d chat requests", n)
	}
	if n := v.calls.Load(); n != 1 {
		t.Errorf("red verdict verified %d times within its TTL, want 1", n)
	}
	if err := a.Ready(context.Background()); !errors.Is(err, inference.ErrUnverified) {
		t.Errorf("Ready = %v, want ErrUnverified", err)
	}
	if got := a.LatestReports(); len(got) != 0 {
		t.Errorf("a red backend's report is offered as evidence")
	}
	// A red verdict is retried sooner than a good one expires.
	now.Add(2 * time.Minute)
	_, _ = streamOnce(t, a, "again")
	if n := v.calls.Load(); n != 2 {
		t.Errorf("red verdict not retried after its shorter TTL: %d calls", n)
	}
}

func TestAttestorUnreachableBackendIsRed(t *testing.T) {
	v := &scriptedVerifier{script: []func(signing.Report) evidence.Verdict{verdict(evidence.Green, "", "")}}
	now := &clock{now: time.Now()}
	a := newAttestor(t, newClient(t, inference.Config{}, refusedURL(t)), v, now)
	_, err := streamOnce(t, a, "hi")
	if !errors.Is(err, inference.ErrUnverified) || !strings.Contains(err.Error(), "report could not be fetched") {
		t.Fatalf("err = %v", err)
	}
	if v.calls.Load() != 0 {
		t.Error("verifier called without a report")
	}
}

func TestAttestorSkipsRedBackend(t *testing.T) {
	bad := newBackend(t, simbackend.Options{Seed: "bad"})
	good := newBackend(t, simbackend.Options{Seed: "good", DefaultTokens: 4})
	badAddr := bad.sim.SigningAddress(signing.ECDSA)
	v := &scriptedVerifier{script: []func(signing.Report) evidence.Verdict{func(r signing.Report) evidence.Verdict {
		if r.SigningAddress == badAddr {
			return verdict(evidence.Red, "", "unknown measurement")(r)
		}
		return verdict(evidence.Green, "", "")(r)
	}}}
	now := &clock{now: time.Now()}
	a := newAttestor(t, newClient(t, inference.Config{}, bad.URL, good.URL), v, now)
	for range 3 {
		res, err := streamOnce(t, a, "hi")
		if err != nil {
			t.Fatal(err)
		}
		if res.BaseURL != good.URL {
			t.Fatalf("answered by %s, want the verified backend", res.BaseURL)
		}
	}
	if n := bad.chats.Load(); n != 0 {
		t.Errorf("red backend got %d chats", n)
	}
	if n := good.chats.Load(); n != 3 {
		t.Errorf("good backend got %d chats, want 3", n)
	}
}

func TestCheckAnswer(t *testing.T) {
	const wrongAddr = "0x1111111111111111111111111111111111111111"
	tests := []struct {
		name      string
		script    []func(signing.Report) evidence.Verdict
		tamper    func(*inference.Result)
		want      evidence.State
		reason    string
		wantCalls int32
	}{
		{name: "green backend, good signature", script: steps(verdict(evidence.Green, "", "")), want: evidence.Green, wantCalls: 1},
		{name: "simulated backend, good signature", script: steps(verdict(evidence.Amber, "", "simulated quote")), want: evidence.Amber,
			reason: "simulated quote", wantCalls: 1},
		{name: "response bytes changed", script: steps(verdict(evidence.Green, "", "")), want: evidence.Red,
			tamper: func(r *inference.Result) { r.ResponseBytes = append(r.ResponseBytes, ' ') }, reason: "does not cover", wantCalls: 1},
		{name: "signing address changed, re-verified with the new key", script: steps(verdict(evidence.Green, wrongAddr, ""), verdict(evidence.Green, "", "")),
			want: evidence.Green, wantCalls: 2},
		{name: "signing address still not the attested one", script: steps(verdict(evidence.Green, wrongAddr, "")),
			want: evidence.Red, reason: "want " + wrongAddr, wantCalls: 2},
		{name: "backend red on re-verification", script: steps(verdict(evidence.Green, wrongAddr, ""), verdict(evidence.Red, "", "debug mode enabled")),
			want: evidence.Red, reason: "debug mode enabled", wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBackend(t, simbackend.Options{DefaultTokens: 6})
			v := &scriptedVerifier{script: tt.script}
			a := newAttestor(t, newClient(t, inference.Config{}, b.URL), v, &clock{now: time.Now()})
			res, err := streamOnce(t, a, "hello there")
			if err != nil {
				t.Fatal(err)
			}
			if tt.tamper != nil {
				tt.tamper(&res)
			}
			got := a.CheckAnswer(context.Background(), res)
			if got.State != tt.want {
				t.Fatalf("state %s (%s), want %s", got.State, got.Reason, tt.want)
			}
			if !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", got.Reason, tt.reason)
			}
			if tt.want == evidence.Green && got.Reason != "" {
				t.Errorf("green with a reason: %q", got.Reason)
			}
			if got.Backend != b.URL || got.Signature == "" || !strings.Contains(got.Text, ":") || got.CheckedAt.IsZero() || got.ReportVerifiedAt.IsZero() {
				t.Errorf("evidence missing: %+v", got)
			}
			if !strings.EqualFold(got.SigningAddress, b.sim.SigningAddress(signing.ECDSA)) {
				t.Errorf("signing address %s, want the backend's", got.SigningAddress)
			}
			if n := v.calls.Load(); n != tt.wantCalls {
				t.Errorf("verifier called %d times, want %d", n, tt.wantCalls)
			}
		})
	}
}

func steps(s ...func(signing.Report) evidence.Verdict) []func(signing.Report) evidence.Verdict {
	return s
}

func TestAttestorRunRefreshesUntilStopped(t *testing.T) {
	b := newBackend(t, simbackend.Options{})
	v := &scriptedVerifier{script: steps(verdict(evidence.Amber, "", "simulated quote"))}
	c := newClient(t, inference.Config{}, b.URL)
	a, err := inference.NewAttestor(c, inference.AttestorOptions{Verifier: v, TTL: time.Hour, RefreshEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { a.Run(ctx); close(stopped) }()
	deadline := time.Now().Add(5 * time.Second)
	for v.calls.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d verifications in 5s with a 20ms schedule", v.calls.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Messages use the refreshed verdict without verifying themselves.
	before := v.calls.Load()
	if _, err := streamOnce(t, a, "hi"); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop when its context ended")
	}
	after := v.calls.Load()
	time.Sleep(60 * time.Millisecond)
	if v.calls.Load() != after {
		t.Error("verifications continue after Run stopped")
	}
	if after-before > 2 {
		t.Errorf("a stream made the backend verify again (%d → %d)", before, after)
	}
}

func TestAttestorReportsForCallersNonce(t *testing.T) {
	bad := newBackend(t, simbackend.Options{Seed: "bad"})
	good := newBackend(t, simbackend.Options{Seed: "good"})
	badAddr := bad.sim.SigningAddress(signing.ECDSA)
	v := &scriptedVerifier{script: steps(func(r signing.Report) evidence.Verdict {
		if r.SigningAddress == badAddr {
			return verdict(evidence.Red, "", "unknown measurement")(r)
		}
		return verdict(evidence.Amber, "", "simulated")(r)
	})}
	a := newAttestor(t, newClient(t, inference.Config{}, bad.URL, good.URL), v, &clock{now: time.Now()})
	var nonce [32]byte
	nonce[0], nonce[31] = 0xab, 0xcd
	reports := a.Reports(context.Background(), nonce, signing.ECDSA)
	if len(reports) != 1 {
		t.Fatalf("%d reports, want only the non-red backend's", len(reports))
	}
	var r signing.Report
	if err := json.Unmarshal(reports[0], &r); err != nil {
		t.Fatal(err)
	}
	if got, _ := signing.ParseNonce(r.RequestNonce); got != nonce || r.SigningAddress != good.sim.SigningAddress(signing.ECDSA) {
		t.Errorf("report for nonce %s by %s, want the caller's nonce from the good backend", r.RequestNonce, r.SigningAddress)
	}
}

// Embeddings and plain completions carry user data too (memories,
// documents, extraction prompts): a red backend gets none of them.
func TestAttestorGatesEmbedAndComplete(t *testing.T) {
	tests := []struct {
		name  string
		state evidence.State
		sent  int32
	}{
		{"red sends nothing", evidence.Red, 0},
		{"amber is used", evidence.Amber, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBackend(t, simbackend.Options{})
			v := &scriptedVerifier{script: []func(signing.Report) evidence.Verdict{verdict(tt.state, "", "checked")}}
			a := newAttestor(t, newClient(t, inference.Config{}, b.URL), v, &clock{now: time.Now()})
			_, embedErr := a.Embed(context.Background(), "sim-embed", []string{"my private note"})
			_, completeErr := a.Complete(context.Background(), inference.ChatRequest{Model: "sim-chat",
				Messages: []inference.Message{{Role: "user", Content: "my private question"}}})
			if tt.state == evidence.Red && (!errors.Is(embedErr, inference.ErrUnverified) || !errors.Is(completeErr, inference.ErrUnverified)) {
				t.Errorf("red backend: embed %v, complete %v; want ErrUnverified", embedErr, completeErr)
			}
			if tt.state != evidence.Red && (embedErr != nil || completeErr != nil) {
				t.Errorf("usable backend: embed %v, complete %v", embedErr, completeErr)
			}
			if got := b.embeds.Load(); got != tt.sent {
				t.Errorf("backend saw %d embedding requests, want %d", got, tt.sent)
			}
			if got := b.chats.Load(); got != tt.sent {
				t.Errorf("backend saw %d completions, want %d", got, tt.sent)
			}
		})
	}
}

// In a real TEE only green backends get user data: an amber one (simulated,
// or a check that could not run) gets nothing, and says why.
func TestAttestorRequireGreen(t *testing.T) {
	tests := []struct {
		state evidence.State
		sent  int32
	}{
		{evidence.Amber, 0},
		{evidence.Green, 1},
	}
	for _, tt := range tests {
		t.Run(string(tt.state), func(t *testing.T) {
			b := newBackend(t, simbackend.Options{})
			v := &scriptedVerifier{script: []func(signing.Report) evidence.Verdict{verdict(tt.state, "", "checked")}}
			now := &clock{now: time.Now()}
			a, err := inference.NewAttestor(newClient(t, inference.Config{}, b.URL), inference.AttestorOptions{
				Verifier: v, TTL: 10 * time.Minute, Now: now.Now, RequireGreen: true})
			if err != nil {
				t.Fatal(err)
			}
			_, err = streamOnce(t, a, "my secret question")
			if (err == nil) != (tt.state == evidence.Green) {
				t.Fatalf("stream: %v", err)
			}
			var ue *inference.UnverifiedError
			if tt.state != evidence.Green && (!errors.As(err, &ue) || !strings.Contains(ue.Reason, "not fully verified")) {
				t.Errorf("refusal %v does not say why", err)
			}
			if got := b.chats.Load(); got != tt.sent {
				t.Errorf("backend saw %d chats, want %d", got, tt.sent)
			}
			if n := len(a.Reports(context.Background(), [32]byte{1}, signing.ECDSA)); n != int(tt.sent) {
				t.Errorf("%d backend reports offered as evidence, want %d", n, tt.sent)
			}
		})
	}
}

// A backend that cannot be reached does not stop the ones that can.
func TestAttestorUnreachableBackendDoesNotBlockOthers(t *testing.T) {
	good := newBackend(t, simbackend.Options{})
	v := &scriptedVerifier{script: []func(signing.Report) evidence.Verdict{verdict(evidence.Amber, "", "ok")}}
	a := newAttestor(t, newClient(t, inference.Config{}, refusedURL(t)+","+good.URL), v, &clock{now: time.Now()})
	if _, err := streamOnce(t, a, "hello"); err != nil {
		t.Fatalf("with one good backend: %v", err)
	}
	if got := good.chats.Load(); got != 1 {
		t.Errorf("good backend saw %d chats", got)
	}
}
