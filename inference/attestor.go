package inference

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"confidant/enclave/evidence"
	"confidant/inference/signing"
)

// ReportVerifier checks a backend's attestation report against the nonce
// it was asked for (evidence.Verifier in the app).
type ReportVerifier interface {
	VerifyReport(ctx context.Context, r signing.Report, nonce [32]byte) evidence.Verdict
}

// AttestorOptions configures an Attestor. Zero fields take the defaults shown.
type AttestorOptions struct {
	// Verifier judges each report. Required.
	Verifier ReportVerifier
	// Algo is the signing algorithm asked for (ecdsa).
	Algo signing.Algo
	// TTL is how long a verdict is trusted before it is verified again (30m).
	TTL time.Duration
	// RedTTL is how long a red verdict stands before the backend is tried
	// again (1m): a backend that was down may come back.
	RedTTL time.Duration
	// RefreshEvery is the period of Run's re-verification (TTL/2), so
	// verdicts are renewed before they expire and no message waits.
	RefreshEvery time.Duration
	// RequireGreen sends user data only to backends whose every check
	// passed on real hardware. The app sets it when it runs in a real TEE:
	// there, a simulated or partly checked backend must get nothing. In
	// development (simulated enclave) amber backends are used.
	RequireGreen bool
	Now          func() time.Time
	Log          *slog.Logger
}

// BackendVerdict is the latest verification of one backend.
type BackendVerdict struct {
	Backend   string // base URL
	Verdict   evidence.Verdict
	Report    json.RawMessage // the report as received; nil when fetching it failed
	ExpiresAt time.Time
}

// Reason says in words why a verdict is not green ("" when it is).
func (b BackendVerdict) Reason() string {
	if c, ok := b.Verdict.Failed(); ok {
		return c.Detail
	}
	for _, c := range b.Verdict.Checks {
		if c.Status == evidence.Skipped {
			return c.Detail
		}
	}
	if b.Verdict.State != evidence.Green && b.Verdict.Simulated {
		return "the backend's evidence is simulated"
	}
	return ""
}

// Attestor verifies backends before they get user data: a fresh nonce,
// the report, the verifier's verdict, cached until it expires. Streams go
// only to backends whose verdict is not red; answers are checked against
// the attested signing address. It is safe for concurrent use.
type Attestor struct {
	client *Client
	opt    AttestorOptions
	ecdsa  *signing.ECDSAVerifier // answers' signatures, by the few attested keys

	mu      sync.Mutex
	entries map[string]*attestation
}

// attestation is the cache entry of one backend.
type attestation struct {
	verdict  BackendVerdict
	has      bool
	inflight chan struct{} // closed when the running verification ends
}

// NewAttestor returns an Attestor for the client's backends.
func NewAttestor(c *Client, opt AttestorOptions) (*Attestor, error) {
	if opt.Verifier == nil {
		return nil, fmt.Errorf("%w: attestor needs a report verifier", ErrConfig)
	}
	algo, err := signing.ParseAlgo(string(opt.Algo))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	opt.Algo = algo
	if opt.TTL <= 0 {
		opt.TTL = 30 * time.Minute
	}
	if opt.RedTTL <= 0 {
		opt.RedTTL = min(time.Minute, opt.TTL)
	}
	if opt.RefreshEvery <= 0 {
		opt.RefreshEvery = opt.TTL / 2
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	a := &Attestor{client: c, opt: opt, entries: map[string]*attestation{}, ecdsa: signing.NewECDSAVerifier(2 * max(1, len(c.urls)))}
	for _, u := range c.urls {
		a.entries[u] = &attestation{}
	}
	return a, nil
}

// Verdict returns the backend's verdict, verifying it first when there is
// none or it expired. Callers arriving during a verification wait for it
// instead of starting another.
func (a *Attestor) Verdict(ctx context.Context, baseURL string) (BackendVerdict, error) {
	e, ok := a.entries[baseURL]
	if !ok {
		return BackendVerdict{}, fmt.Errorf("%w: %q is not a configured backend", ErrConfig, baseURL)
	}
	a.mu.Lock()
	for {
		if e.has && a.opt.Now().Before(e.verdict.ExpiresAt) {
			v := e.verdict
			a.mu.Unlock()
			return v, nil
		}
		if e.inflight == nil {
			break
		}
		ch := e.inflight
		a.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return BackendVerdict{}, fmt.Errorf("inference: waiting for backend verification: %w", ctx.Err())
		}
		a.mu.Lock()
	}
	ch := make(chan struct{})
	e.inflight = ch
	a.mu.Unlock()
	return a.finish(ctx, baseURL, e, ch), nil
}

// Reverify verifies the backend again now, whatever its cached verdict:
// its signing address changed, or the schedule says so. A verification
// already running is joined instead.
func (a *Attestor) Reverify(ctx context.Context, baseURL string) (BackendVerdict, error) {
	e, ok := a.entries[baseURL]
	if !ok {
		return BackendVerdict{}, fmt.Errorf("%w: %q is not a configured backend", ErrConfig, baseURL)
	}
	a.mu.Lock()
	if ch := e.inflight; ch != nil {
		a.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return BackendVerdict{}, fmt.Errorf("inference: waiting for backend verification: %w", ctx.Err())
		}
		a.mu.Lock()
		v := e.verdict
		a.mu.Unlock()
		return v, nil
	}
	ch := make(chan struct{})
	e.inflight = ch
	a.mu.Unlock()
	return a.finish(ctx, baseURL, e, ch), nil
}

// finish runs the verification this caller owns and publishes it. It runs
// on a context of its own, so one impatient caller does not fail the
// verification others wait for.
func (a *Attestor) finish(ctx context.Context, baseURL string, e *attestation, ch chan struct{}) BackendVerdict {
	v := a.verify(context.WithoutCancel(ctx), baseURL)
	a.mu.Lock()
	e.verdict, e.has, e.inflight = v, true, nil
	a.mu.Unlock()
	close(ch)
	return v
}

// verify fetches a report for a fresh nonce and has it judged.
func (a *Attestor) verify(ctx context.Context, baseURL string) BackendVerdict {
	now := a.opt.Now()
	out := BackendVerdict{Backend: baseURL}
	var nonce [32]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		out.Verdict = failed(now, "nonce", "no randomness for a nonce: "+err.Error())
	} else if r, raw, err := a.client.Report(ctx, baseURL, nonce, a.opt.Algo, ""); err != nil {
		out.Verdict = failed(now, "report", "the backend's attestation report could not be fetched: "+reportProblem(err))
	} else {
		out.Report = raw
		out.Verdict = a.opt.Verifier.VerifyReport(ctx, r, nonce)
		if out.Verdict.VerifiedAt.IsZero() {
			out.Verdict.VerifiedAt = now
		}
	}
	if out.Verdict.State == "" {
		out.Verdict.State = evidence.Worst("") // a verdict without a state is not trusted
	}
	ttl := a.opt.TTL
	if out.Verdict.State == evidence.Red {
		ttl = a.opt.RedTTL
	}
	out.ExpiresAt = a.opt.Now().Add(ttl)
	log := a.opt.Log.With("backend", baseURL, "state", out.Verdict.State, "signing_address", out.Verdict.SigningAddress)
	if out.Verdict.State == evidence.Red {
		log.Warn("backend failed verification; no user data goes to it", "reason", out.Reason())
	} else {
		log.Info("backend verified", "simulated", out.Verdict.Simulated)
	}
	return out
}

// reportProblem words a report fetch error without request details.
func reportProblem(err error) string {
	var se *StatusError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("it answered %d", se.Status)
	case errors.Is(err, ErrProtocol):
		return strings.TrimPrefix(err.Error(), "inference: ")
	}
	return "it did not answer"
}

// failed is a red verdict with one failed check.
func failed(now time.Time, name, detail string) evidence.Verdict {
	v := evidence.Verdict{State: evidence.Green, VerifiedAt: now}
	v.Add(evidence.Check{Name: name, Status: evidence.Fail, Detail: detail})
	return v
}

// Verdicts returns the cached verdict of every backend verified so far,
// in configured order, without any I/O: for the shield, /readyz and the
// verification page.
func (a *Attestor) Verdicts() []BackendVerdict {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []BackendVerdict
	for _, u := range a.client.urls {
		if e := a.entries[u]; e.has {
			out = append(out, e.verdict)
		}
	}
	return out
}

// LatestReports returns the raw reports of the backends whose verdict is
// not red, for the app's own attestation report (model_attestations).
func (a *Attestor) LatestReports() []json.RawMessage {
	var out []json.RawMessage
	for _, v := range a.Verdicts() {
		if a.admits(v) && v.Report != nil {
			out = append(out, v.Report)
		}
	}
	return out
}

// usable verifies (or takes from the cache) every backend and returns the
// indexes of those that may get user data, or an *UnverifiedError.
func (a *Attestor) usable(ctx context.Context) ([]int, error) {
	verdicts := make([]BackendVerdict, len(a.client.urls))
	errs := make([]error, len(a.client.urls))
	var wg sync.WaitGroup
	for i, u := range a.client.urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			verdicts[i], errs[i] = a.Verdict(ctx, u)
		}()
	}
	wg.Wait()
	var ok []int
	var reasons []string
	for i, v := range verdicts {
		switch {
		case errs[i] != nil:
			// This backend's verdict could not be had in time: it is
			// passed over, the others still serve.
			continue
		case !a.admits(v):
			if v.Verdict.State != evidence.Red {
				reasons = append(reasons, "not fully verified on real hardware: "+v.Reason())
			} else {
				reasons = append(reasons, v.Reason())
			}
			continue
		}
		ok = append(ok, i)
	}
	if len(ok) == 0 {
		if len(reasons) == 0 {
			return nil, errors.Join(errs...)
		}
		return nil, &UnverifiedError{Reason: strings.Join(reasons, "; ")}
	}
	return ok, nil
}

// admits reports whether a backend with verdict v may get user data: never
// when red; with RequireGreen only when green.
func (a *Attestor) admits(v BackendVerdict) bool {
	if a.opt.RequireGreen {
		return v.Verdict.State == evidence.Green
	}
	return v.Verdict.State != evidence.Red
}

// Ready reports an error when no backend may be used, for /readyz.
func (a *Attestor) Ready(ctx context.Context) error {
	_, err := a.usable(ctx)
	return err
}

// Stream is Client.Stream, sent only to backends whose verdict is not red;
// when every backend is red it sends nothing and returns an
// *UnverifiedError with the reason.
func (a *Attestor) Stream(ctx context.Context, req ChatRequest, onDelta func(Delta) error) (Result, error) {
	ok, err := a.usable(ctx)
	if err != nil {
		return Result{}, err
	}
	return a.client.streamAmong(ctx, ok, req, onDelta)
}

// Embed is Client.Embed, sent only to backends whose verdict is not red:
// the texts embedded are user data too.
func (a *Attestor) Embed(ctx context.Context, model string, texts []string) ([][]float32, error) {
	ok, err := a.usable(ctx)
	if err != nil {
		return nil, err
	}
	return a.client.embedAmong(ctx, ok, model, texts)
}

// Complete is Client.Complete, sent only to backends whose verdict is not
// red.
func (a *Attestor) Complete(ctx context.Context, req ChatRequest) (Result, error) {
	ok, err := a.usable(ctx)
	if err != nil {
		return Result{}, err
	}
	return a.client.completeAmong(ctx, ok, req)
}

// Run re-verifies every backend each RefreshEvery until ctx ends, so
// verdicts are renewed before they expire. It verifies them once at the
// start, so the first message does not wait either.
func (a *Attestor) Run(ctx context.Context) {
	t := time.NewTicker(a.opt.RefreshEvery)
	defer t.Stop()
	for {
		var wg sync.WaitGroup
		for _, u := range a.client.urls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = a.Reverify(ctx, u)
			}()
		}
		wg.Wait()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Reports fetches a report for the caller's nonce from every backend whose
// verdict is not red, for the app's own attestation report
// (model_attestations): a verifier checks them against its own nonce. A
// backend that does not answer is left out.
func (a *Attestor) Reports(ctx context.Context, nonce [32]byte, algo signing.Algo) []json.RawMessage {
	out := make([]json.RawMessage, len(a.client.urls))
	var wg sync.WaitGroup
	for i, u := range a.client.urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := a.Verdict(ctx, u); err != nil || !a.admits(v) {
				return
			}
			if _, raw, err := a.client.Report(ctx, u, nonce, algo, ""); err == nil {
				out[i] = raw
			}
		}()
	}
	wg.Wait()
	var reports []json.RawMessage
	for _, r := range out {
		if r != nil {
			reports = append(reports, r)
		}
	}
	return reports
}
