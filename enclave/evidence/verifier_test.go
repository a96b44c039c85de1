package evidence_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"confidant/enclave/evidence"
	"confidant/enclave/evidence/evidencetest"
	"confidant/inference/signing"
)

// wantVerdict is what a case expects: the state, and for red the first
// failed check and words of its detail.
type wantVerdict struct {
	state     evidence.State
	simulated bool
	failed    string // name of the first failed check
	detail    string // words in its detail (or, for green/amber, in the named check)
	check     string // for non-red cases: a check whose detail must contain detail
}

func (w wantVerdict) assert(t *testing.T, vd evidence.Verdict) {
	t.Helper()
	if vd.State != w.state || vd.Simulated != w.simulated {
		t.Fatalf("state %s simulated %v, want %s simulated %v; checks %+v", vd.State, vd.Simulated, w.state, w.simulated, vd.Checks)
	}
	if vd.Simulated && vd.State == evidence.Green {
		t.Fatal("a simulated verdict is green")
	}
	failed, isRed := vd.Failed()
	if isRed != (w.state == evidence.Red) {
		t.Fatalf("Failed() = %v with state %s", isRed, vd.State)
	}
	if w.failed != "" && (failed.Name != w.failed || !strings.Contains(failed.Detail, w.detail)) {
		t.Fatalf("first failure %s: %q, want %s containing %q; checks %+v", failed.Name, failed.Detail, w.failed, w.detail, vd.Checks)
	}
	if w.check != "" {
		for _, c := range vd.Checks {
			if c.Name == w.check {
				if !strings.Contains(c.Detail, w.detail) {
					t.Fatalf("%s: %q, want it to contain %q", c.Name, c.Detail, w.detail)
				}
				return
			}
		}
		t.Fatalf("no %s check in %+v", w.check, vd.Checks)
	}
}

func TestVerifySimulatedBackend(t *testing.T) {
	url := simServer(t)
	nras := evidencetest.NewFakeNRAS(t)
	otherAddr := evidencetest.Key(t, "someone else").Address()
	composeAllow := mustAllow(t, "compose_hash="+sha256Hex(tcbField(t, fetchReport(t, url, [32]byte{}, signing.ECDSA), "app_compose")))
	tests := []struct {
		name   string
		algo   signing.Algo
		cfg    evidence.Config
		nonce  func(asked [32]byte) [32]byte // the nonce we verify against
		mutate func(t *testing.T, r *signing.Report, nonce [32]byte)
		want   wantVerdict
	}{
		{name: "good simulated report is amber, never green", algo: signing.ECDSA,
			want: wantVerdict{state: evidence.Amber, simulated: true, check: "tdx_quote", detail: "simulated enclave: no hardware evidence"}},
		{name: "good simulated ed25519 report is amber", algo: signing.Ed25519,
			want: wantVerdict{state: evidence.Amber, simulated: true, check: "report_data", detail: "ed25519"}},
		{name: "claiming simulated:false does not make it real",
			mutate: func(t *testing.T, r *signing.Report, _ [32]byte) { r.Simulated = false },
			want:   wantVerdict{state: evidence.Amber, simulated: true}},
		{name: "wrong nonce", nonce: func(asked [32]byte) [32]byte { asked[0] ^= 1; return asked },
			want: wantVerdict{state: evidence.Red, simulated: true, failed: "nonce", detail: "not ours"}},
		{name: "report_data bound to another signing address",
			mutate: func(t *testing.T, r *signing.Report, _ [32]byte) { r.SigningAddress = otherAddr },
			want:   wantVerdict{state: evidence.Red, simulated: true, failed: "report_data", detail: "another signing key"}},
		{name: "tampered app_compose",
			mutate: func(t *testing.T, r *signing.Report, _ [32]byte) {
				editTCB(t, r, func(_, tcb map[string]any) {
					tcb["app_compose"] = strings.Replace(tcb["app_compose"].(string), "sim-backend", "evil-backend", 1)
				})
			},
			want: wantVerdict{state: evidence.Red, simulated: true, failed: "compose_hash", detail: "but the report claims compose_hash"}},
		{name: "tampered compose hash",
			mutate: func(t *testing.T, r *signing.Report, _ [32]byte) {
				editTCB(t, r, func(info, tcb map[string]any) {
					info["compose_hash"] = "simulated-" + strings.Repeat("ab", 32)
					tcb["compose_hash"] = info["compose_hash"]
				})
			},
			want: wantVerdict{state: evidence.Red, simulated: true, failed: "compose_hash", detail: "sha256(app_compose) is"}},
		{name: "tampered event log",
			mutate: func(t *testing.T, r *signing.Report, _ [32]byte) {
				r.EventLog = string(evidencetest.EventLog())
			},
			want: wantVerdict{state: evidence.Red, simulated: true, failed: "event_log", detail: "but info's rtmr3 (simulated: no hardware register) is"}},
		{name: "event log measuring another compose hash",
			mutate: func(t *testing.T, r *signing.Report, _ [32]byte) {
				events, err := evidence.ParseEventLog([]byte(r.EventLog))
				if err != nil || len(events) < 2 || events[1].Name != "compose-hash" {
					t.Fatalf("simulated event log: %v %+v", err, events)
				}
				other := strings.Repeat("ab", 32)
				payload, _ := hex.DecodeString(other)
				d := evidence.RuntimeEventDigest(evidence.RuntimeEventType, "compose-hash", payload)
				events[1].Payload, events[1].Digest = other, hex.EncodeToString(d[:])
				b, _ := json.Marshal(events)
				r.EventLog = string(b)
			},
			want: wantVerdict{state: evidence.Red, simulated: true, failed: "event_log", detail: "but info's rtmr3"}},
		{name: "event log and rtmr3 both measuring another compose hash",
			mutate: func(t *testing.T, r *signing.Report, _ [32]byte) {
				events, _ := evidence.ParseEventLog([]byte(r.EventLog))
				payload := make([]byte, 32)
				d := evidence.RuntimeEventDigest(evidence.RuntimeEventType, "compose-hash", payload)
				events[1].Payload, events[1].Digest = hex.EncodeToString(payload), hex.EncodeToString(d[:])
				mr, _, err := evidence.ReplayRTMR3(events)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(events)
				r.EventLog = string(b)
				editTCB(t, r, func(_, tcb map[string]any) { tcb["rtmr3"] = "simulated-" + hex.EncodeToString(mr[:]) })
			},
			want: wantVerdict{state: evidence.Red, simulated: true, failed: "event_log", detail: "the measured compose-hash event is " + strings.Repeat("00", 32)}},
		{name: "info claims another app id than the one measured",
			mutate: func(t *testing.T, r *signing.Report, _ [32]byte) {
				editTCB(t, r, func(info, _ map[string]any) { info["app_id"] = "simulated-" + strings.Repeat("cd", 20) })
			},
			want: wantVerdict{state: evidence.Red, simulated: true, failed: "event_log", detail: "but info claims app_id cdcd"}},
		{name: "event log that is not JSON",
			mutate: func(t *testing.T, r *signing.Report, _ [32]byte) { r.EventLog = "[{" },
			want:   wantVerdict{state: evidence.Red, simulated: true, failed: "event_log", detail: "not a JSON array"}},
		{name: "bad GPU verdict", cfg: evidence.Config{NRAS: evidence.NewNRASClient(evidence.NRASConfig{BaseURL: nras.URL()})},
			mutate: func(t *testing.T, r *signing.Report, nonce [32]byte) {
				nras.Set(evidencetest.NRASBehavior{Result: false})
				t.Cleanup(func() { nras.Set(evidencetest.NRASBehavior{Result: true}) })
				r.NvidiaPayload = string(evidencetest.GPUPayload(nonce))
			},
			want: wantVerdict{state: evidence.Red, simulated: true, failed: "gpu", detail: "NVIDIA's overall attestation result is false"}},
		{name: "GPU evidence for another nonce",
			mutate: func(t *testing.T, r *signing.Report, _ [32]byte) {
				r.NvidiaPayload = string(evidencetest.GPUPayload([32]byte{7}))
			},
			want: wantVerdict{state: evidence.Red, simulated: true, failed: "gpu", detail: "not ours"}},
		{name: "unknown measurement", cfg: evidence.Config{Allow: mustAllow(t, "mrtd="+strings.Repeat("ab", 48))},
			want: wantVerdict{state: evidence.Red, simulated: true, failed: "allowlist", detail: "mrtd " + strings.Repeat("00", 48) + " is not in the allowlist"}},
		{name: "allowlisted compose hash still amber", cfg: evidence.Config{Allow: composeAllow},
			want: wantVerdict{state: evidence.Amber, simulated: true, check: "allowlist", detail: "in the allowlist: compose_hash"}},
		{name: "quote that is not hex",
			mutate: func(t *testing.T, r *signing.Report, _ [32]byte) { r.IntelQuote = "zz" + r.IntelQuote },
			want:   wantVerdict{state: evidence.Red, simulated: true, failed: "tdx_quote", detail: "not hex"}},
		{name: "truncated simulated quote",
			mutate: func(t *testing.T, r *signing.Report, _ [32]byte) { r.IntelQuote = r.IntelQuote[:len(r.IntelQuote)-2] },
			want:   wantVerdict{state: evidence.Red, simulated: true, failed: "tdx_quote", detail: "malformed simulated quote"}},
		{name: "info that is not JSON",
			mutate: func(t *testing.T, r *signing.Report, _ [32]byte) { r.Info = json.RawMessage(`"{"`) },
			want:   wantVerdict{state: evidence.Red, simulated: true, failed: "compose_hash", detail: "info is not a JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked [32]byte
			rand.Read(asked[:])
			algo := tt.algo
			if algo == "" {
				algo = signing.ECDSA
			}
			r := fetchReport(t, url, asked, algo)
			if tt.mutate != nil {
				tt.mutate(t, &r, asked)
			}
			ours := asked
			if tt.nonce != nil {
				ours = tt.nonce(asked)
			}
			vd := evidence.New(tt.cfg).VerifyReport(context.Background(), r, ours)
			tt.want.assert(t, vd)
		})
	}
}

func TestSimulatedVerdictGolden(t *testing.T) {
	url := simServer(t)
	nonce := [32]byte{0x5a, 0x5a}
	vd := evidence.New(evidence.Config{Now: func() time.Time { return fixedNow }}).VerifyReport(context.Background(), fetchReport(t, url, nonce, signing.ECDSA), nonce)
	checkGolden(t, "simulated.json", vd)
}

func TestVerifyHardwareShapedReport(t *testing.T) {
	key := evidencetest.Key(t, "backend")
	nras := evidencetest.NewFakeNRAS(t)
	compose := evidencetest.AppCompose()
	composeHash := evidencetest.EventLogExpected(t).ComposeHash
	base := evidencetest.HardwareReport(t, key, [32]byte{})
	q, _ := hex.DecodeString(base.IntelQuote)
	facts, err := evidence.ParseQuote(q)
	if err != nil {
		t.Fatal(err)
	}
	mrtd := hex.EncodeToString(facts.MRTD)
	allow := mustAllow(t, "mrtd="+mrtd+",compose_hash="+composeHash+
		",image=sha256:"+strings.Repeat("1", 64)+",image=sha256:"+strings.Repeat("2", 64))
	good := func() evidence.Config {
		return evidence.Config{Quotes: evidencetest.StructureOnlyQuotes{TCBStatus: "UpToDate"}, NRAS: evidence.NewNRASClient(evidence.NRASConfig{BaseURL: nras.URL()}), Allow: allow}
	}
	with := func(change func(c *evidence.Config)) evidence.Config { c := good(); change(&c); return c }
	deadNRAS := httptest.NewServer(http.NotFoundHandler())
	deadNRAS.Close()

	tests := []struct {
		name   string
		cfg    evidence.Config
		nras   *evidencetest.NRASBehavior
		mutate func(t *testing.T, r *signing.Report)
		nonce  func(asked [32]byte) [32]byte
		want   wantVerdict
	}{
		{name: "GREEN only with the structure-only TEST quote verifier", cfg: good(),
			want: wantVerdict{state: evidence.Green, check: "tdx_quote", detail: "UpToDate"}},
		{name: "no quote verifier configured: parsed, amber", cfg: with(func(c *evidence.Config) { c.Quotes = nil }),
			want: wantVerdict{state: evidence.Amber, check: "tdx_quote", detail: "signature chain was not checked"}},
		{name: "quote verifier refuses the quote", cfg: with(func(c *evidence.Config) {
			c.Quotes = evidencetest.StructureOnlyQuotes{Err: errors.New("PCK chain does not verify")}
		}),
			want: wantVerdict{state: evidence.Red, failed: "tdx_quote", detail: "PCK chain does not verify"}},
		{name: "TCB not checked is amber", cfg: with(func(c *evidence.Config) { c.Quotes = evidencetest.StructureOnlyQuotes{} }),
			want: wantVerdict{state: evidence.Amber, check: "tdx_quote", detail: "TCB status not checked"}},
		{name: "TCB OutOfDate passes with a warning", cfg: with(func(c *evidence.Config) { c.Quotes = evidencetest.StructureOnlyQuotes{TCBStatus: "OutOfDate"} }),
			want: wantVerdict{state: evidence.Green, check: "tdx_quote", detail: "lacks Intel's latest"}},
		{name: "TCB OutOfDate fails when strict", cfg: with(func(c *evidence.Config) {
			c.Quotes = evidencetest.StructureOnlyQuotes{TCBStatus: "OutOfDate"}
			c.StrictTCB = true
		}),
			want: wantVerdict{state: evidence.Red, failed: "tdx_quote", detail: "TCB status is OutOfDate"}},
		{name: "TCB Revoked", cfg: with(func(c *evidence.Config) { c.Quotes = evidencetest.StructureOnlyQuotes{TCBStatus: "Revoked"} }),
			want: wantVerdict{state: evidence.Red, failed: "tdx_quote", detail: "Revoked"}},
		{name: "quote header corrupted", cfg: good(),
			mutate: func(t *testing.T, r *signing.Report) { r.IntelQuote = "05" + r.IntelQuote[2:] },
			want:   wantVerdict{state: evidence.Red, failed: "tdx_quote", detail: "does not verify"}},
		{name: "report claims to be simulated", cfg: good(),
			mutate: func(t *testing.T, r *signing.Report) { r.Simulated = true },
			want:   wantVerdict{state: evidence.Amber, simulated: true}},
		{name: "wrong nonce", cfg: good(), nonce: func(a [32]byte) [32]byte { a[31]++; return a },
			want: wantVerdict{state: evidence.Red, failed: "nonce", detail: "may be a replay"}},
		{name: "report_data bound to another signing address", cfg: good(),
			mutate: func(t *testing.T, r *signing.Report) { r.SigningAddress = evidencetest.Key(t, "other").Address() },
			want:   wantVerdict{state: evidence.Red, failed: "report_data", detail: "another signing key"}},
		{name: "mr_config_id does not commit to a changed app_compose", cfg: good(),
			mutate: func(t *testing.T, r *signing.Report) {
				editTCB(t, r, func(info, tcb map[string]any) {
					changed := strings.Replace(string(compose), `"public_logs":false`, `"public_logs":true`, 1)
					sum := sha256Hex(changed)
					tcb["app_compose"], tcb["compose_hash"], info["compose_hash"] = changed, sum, sum
				})
			},
			want: wantVerdict{state: evidence.Red, failed: "compose_hash", detail: "mr_config_id"}},
		{name: "event log with an extra event", cfg: good(),
			mutate: func(t *testing.T, r *signing.Report) {
				events, _ := evidence.ParseEventLog([]byte(r.EventLog))
				d := evidence.RuntimeEventDigest(evidence.RuntimeEventType, "late-event", nil)
				events = append(events, evidence.Event{IMR: 3, EventType: evidence.RuntimeEventType, Digest: hex.EncodeToString(d[:]), Name: "late-event"})
				b, _ := json.Marshal(events)
				r.EventLog = string(b)
			},
			want: wantVerdict{state: evidence.Red, failed: "event_log", detail: "but the quote's RTMR3 is"}},
		{name: "event log compose hash forged under its digest", cfg: good(),
			mutate: func(t *testing.T, r *signing.Report) {
				r.EventLog = strings.Replace(r.EventLog, composeHash, strings.Repeat("00", 32), 1)
			},
			want: wantVerdict{state: evidence.Red, failed: "event_log", detail: "digest does not match its payload"}},
		{name: "event log only in tcb_info", cfg: good(),
			mutate: func(t *testing.T, r *signing.Report) { r.EventLog = "" },
			want:   wantVerdict{state: evidence.Green}},
		{name: "bad GPU verdict", cfg: good(), nras: &evidencetest.NRASBehavior{},
			want: wantVerdict{state: evidence.Red, failed: "gpu", detail: "overall attestation result is false"}},
		{name: "GPU verdict for another nonce", cfg: good(), nras: &evidencetest.NRASBehavior{Result: true, Nonce: strings.Repeat("11", 32)},
			want: wantVerdict{state: evidence.Red, failed: "gpu", detail: "not ours"}},
		{name: "GPU verdict with a bad signature", cfg: good(), nras: &evidencetest.NRASBehavior{Result: true, BadSignature: true},
			want: wantVerdict{state: evidence.Red, failed: "gpu", detail: "signature"}},
		{name: "NVIDIA unreachable is amber", cfg: with(func(c *evidence.Config) { c.NRAS = evidence.NewNRASClient(evidence.NRASConfig{BaseURL: deadNRAS.URL}) }),
			want: wantVerdict{state: evidence.Amber, check: "gpu", detail: "could not be reached"}},
		{name: "no NVIDIA verifier configured is amber", cfg: with(func(c *evidence.Config) { c.NRAS = nil }),
			want: wantVerdict{state: evidence.Amber, check: "gpu", detail: "not fetched"}},
		{name: "node without GPU evidence is amber", cfg: good(),
			mutate: func(t *testing.T, r *signing.Report) { r.NvidiaPayload = "" },
			want:   wantVerdict{state: evidence.Amber, check: "gpu", detail: "no GPU evidence"}},
		{name: "unknown MRTD", cfg: with(func(c *evidence.Config) { c.Allow = mustAllow(t, "mrtd="+strings.Repeat("cd", 48)) }),
			want: wantVerdict{state: evidence.Red, failed: "allowlist", detail: "mrtd " + mrtd + " is not in the allowlist"}},
		{name: "image not in the allowlist", cfg: with(func(c *evidence.Config) { c.Allow = mustAllow(t, "image=sha256:"+strings.Repeat("1", 64)) }),
			want: wantVerdict{state: evidence.Red, failed: "allowlist", detail: "postgres-pgvector@sha256:2222"}},
		{name: "no allowlist is amber", cfg: with(func(c *evidence.Config) { c.Allow = evidence.Allowlist{} }),
			want: wantVerdict{state: evidence.Amber, check: "allowlist", detail: "no allowlist configured"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.nras != nil {
				nras.Set(*tt.nras)
				t.Cleanup(func() { nras.Set(evidencetest.NRASBehavior{Result: true}) })
			}
			var asked [32]byte
			rand.Read(asked[:])
			r := evidencetest.HardwareReport(t, key, asked)
			if tt.mutate != nil {
				tt.mutate(t, &r)
			}
			ours := asked
			if tt.nonce != nil {
				ours = tt.nonce(asked)
			}
			tt.want.assert(t, evidence.New(tt.cfg).VerifyReport(context.Background(), r, ours))
		})
	}
}

func TestHardwareShapedVerdictGolden(t *testing.T) {
	nras := evidencetest.NewFakeNRAS(t)
	nonce := [32]byte{0xa5}
	composeHash := evidencetest.EventLogExpected(t).ComposeHash
	cfg := evidence.Config{
		Quotes: evidencetest.StructureOnlyQuotes{TCBStatus: "UpToDate"}, NRAS: evidence.NewNRASClient(evidence.NRASConfig{BaseURL: nras.URL()}),
		Allow: mustAllow(t, "compose_hash="+composeHash), Now: func() time.Time { return fixedNow },
	}
	vd := evidence.New(cfg).VerifyReport(context.Background(), evidencetest.HardwareReport(t, evidencetest.Key(t, "backend"), nonce), nonce)
	if vd.State != evidence.Green {
		t.Fatalf("state %s: %+v", vd.State, vd.Checks)
	}
	checkGolden(t, "hardware_green.json", vd)
}
