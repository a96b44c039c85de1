package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"confidant/enclave/evidence"
	"confidant/enclave/evidence/evidencetest"
	"confidant/enclave/tdx"
	"confidant/enclave/tdx/tdxtest"
	"confidant/inference/signing"
	"confidant/inference/simbackend"
)

// attestationServer serves /v1/attestation/report: for each request it
// builds the reports for the request's nonce with reports, and answers
// them alone (a node) or wrapped as a gateway answer.
func attestationServer(t *testing.T, gateway bool, reports func(t *testing.T, nonce [32]byte) []signing.Report) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/attestation/report" || r.URL.Query().Get("signing_algo") != "ecdsa" {
			http.NotFound(w, r)
			return
		}
		nonce, err := signing.ParseNonce(r.URL.Query().Get("nonce"))
		if err != nil {
			http.Error(w, "bad nonce", http.StatusBadRequest)
			return
		}
		rs := reports(t, nonce)
		var body any = rs[0]
		if gateway {
			body = map[string]any{"gateway_attestation": rs[0], "model_attestations": rs[1:]}
		}
		json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// simReports fetches n reports for nonce from the simulated backend.
func simReports(sim string, n int, edit func(r *signing.Report)) func(t *testing.T, nonce [32]byte) []signing.Report {
	return func(t *testing.T, nonce [32]byte) []signing.Report {
		var out []signing.Report
		for range n {
			resp, err := http.Get(sim + "/v1/attestation/report?signing_algo=ecdsa&nonce=" + hex.EncodeToString(nonce[:]))
			if err != nil {
				t.Error(err)
				return nil
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			r, err := evidence.ParseReport(body)
			if err != nil {
				t.Error(err)
				return nil
			}
			if edit != nil {
				edit(&r)
			}
			out = append(out, r)
		}
		return out
	}
}

func TestVerifyCommand(t *testing.T) {
	simTS := httptest.NewServer(simbackend.New(simbackend.Options{Seed: "verify-cmd"}))
	t.Cleanup(simTS.Close)
	sim := simTS.URL
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()

	tests := []struct {
		name string
		args []string
		code int
		out  string // in stdout+stderr
	}{
		{"simulated backend directly", []string{"verify", sim, "--nras", "off"}, exitNotGreen, "AMBER: simulated"},
		{"simulated gateway and backends", []string{"verify", "--nras", "off", attestationServer(t, true, simReports(sim, 3, nil)) + "/v1"}, exitNotGreen, "model 2 — AMBER"},
		{"tampered compose hash", []string{"verify", attestationServer(t, true, simReports(sim, 2, func(r *signing.Report) {
			r.Info = json.RawMessage(strings.Replace(string(r.Info), `"compose_hash":"simulated-`, `"compose_hash":"simulated-00`, 1))
		}))}, exitError, "verification failed: gateway: compose_hash"},
		{"replayed report", []string{"verify", attestationServer(t, false, func(t *testing.T, _ [32]byte) []signing.Report {
			return simReports(sim, 1, nil)(t, [32]byte{1})
		})}, exitError, "verification failed: node: nonce"},
		{"unknown measurement", []string{"verify", sim, "--allow", "mrtd=" + strings.Repeat("ab", 48)}, exitError, "allowlist: mrtd"},
		{"unreachable", []string{"verify", dead.URL}, exitError, "fetching the report"},
		{"not a report", []string{"verify", simTS.URL + "/nowhere"}, exitError, "HTTP 404"},
		{"no URL", []string{"verify", "--json"}, exitUsage, "verify URL"},
		{"two URLs", []string{"verify", sim, sim}, exitUsage, "verify URL"},
		{"not http", []string{"verify", "ftp://example.org"}, exitUsage, "not an http(s) URL"},
		{"bad allowlist", []string{"verify", sim, "--allow", "mrtd=12"}, exitUsage, "--allow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, func(string) string { return "" }, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stdout.String()+stderr.String(), tt.out) {
				t.Fatalf("code %d, want %d with %q:\n%s%s", code, tt.code, tt.out, stdout.String(), stderr.String())
			}
		})
	}
}

func TestVerifyCommandJSON(t *testing.T) {
	simTS := httptest.NewServer(simbackend.New(simbackend.Options{}))
	t.Cleanup(simTS.Close)
	url := attestationServer(t, true, simReports(simTS.URL, 2, nil))
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"verify", url, "--json", "--nras", "off"}, func(string) string { return "" }, &stdout, &stderr)
	var out struct {
		State     evidence.State `json:"state"`
		Simulated bool           `json:"simulated"`
		Reason    string         `json:"reason"`
		Reports   []struct {
			Role string `json:"role"`
			evidence.Verdict
		} `json:"reports"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout.String())
	}
	if code != exitNotGreen || out.State != evidence.Amber || !out.Simulated || len(out.Reports) != 2 ||
		out.Reports[0].Role != "gateway" || out.Reports[1].Role != "model" || len(out.Reports[1].Checks) == 0 || out.Reason == "" {
		t.Fatalf("code %d, verdict %+v", code, out)
	}
}

// TestVerifyCommandGreenWithTestQuoteVerifier reaches exit 0 only because
// the TEST quote verifier vouches for quotes it merely parses and a fake
// NVIDIA service signs the GPU verdict: the release command cannot.
func TestVerifyCommandGreenWithTestQuoteVerifier(t *testing.T) {
	nras := evidencetest.NewFakeNRAS(t)
	key := evidencetest.Key(t, "verify-green")
	hw := func(t *testing.T, nonce [32]byte) []signing.Report {
		r := evidencetest.HardwareReport(t, key, nonce)
		app := r
		app.NvidiaPayload = ""
		return []signing.Report{app, r}
	}
	url := attestationServer(t, true, hw)
	allow := "--allow=compose_hash=" + evidencetest.EventLogExpected(t).ComposeHash + ",image=sha256:" + strings.Repeat("1", 64) + ",image=sha256:" + strings.Repeat("2", 64)
	tests := []struct {
		name  string
		quote evidence.QuoteVerifier
		nras  evidencetest.NRASBehavior
		code  int
		out   string
	}{
		{"green", evidencetest.StructureOnlyQuotes{TCBStatus: "UpToDate"}, evidencetest.NRASBehavior{Result: true}, exitOK, "Overall: GREEN"},
		{"the release verifier refuses a forged quote", nil, evidencetest.NRASBehavior{Result: true}, exitError, "quote signature does not verify"},
		{"NVIDIA says no", evidencetest.StructureOnlyQuotes{TCBStatus: "UpToDate"}, evidencetest.NRASBehavior{}, exitError, "model 1: gpu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nras.Set(tt.nras)
			var stdout, stderr bytes.Buffer
			err := runVerify(context.Background(), []string{url, "--nras", nras.URL(), allow}, verifyDeps{quotes: tt.quote}, &stdout, &stderr)
			code := exitOK
			switch {
			case errors.Is(err, errNotGreen):
				code = exitNotGreen
			case err != nil:
				code = exitError
			}
			if code != tt.code || !strings.Contains(stdout.String()+errString(err), tt.out) {
				t.Fatalf("code %d (%v), want %d with %q:\n%s", code, err, tt.code, tt.out, stdout.String())
			}
		})
	}
}

// TestVerifyCommandGreenWithMintedQuotes runs the release code path, chain
// verification and TCB collateral included, on quotes minted by a test
// chain: exit 0 only with that chain's root injected and its fake PCS;
// with Intel's root, exit 1.
func TestVerifyCommandGreenWithMintedQuotes(t *testing.T) {
	signer := tdxtest.NewSigner()
	pcs := httptest.NewServer(signer.PCS("UpToDate"))
	t.Cleanup(pcs.Close)
	nras := evidencetest.NewFakeNRAS(t)
	nras.Set(evidencetest.NRASBehavior{Result: true})
	key := evidencetest.Key(t, "verify-minted")
	url := attestationServer(t, true, func(t *testing.T, nonce [32]byte) []signing.Report {
		r := evidencetest.MintedReport(t, signer, signing.ECDSA, key.Address(), nonce)
		app := r
		app.NvidiaPayload = ""
		return []signing.Report{app, r}
	})
	allow := "--allow=compose_hash=" + evidencetest.EventLogExpected(t).ComposeHash + ",image=sha256:" + strings.Repeat("1", 64) + ",image=sha256:" + strings.Repeat("2", 64)
	tests := []struct {
		name   string
		quotes evidence.QuoteVerifier
		code   int
		out    string
	}{
		{"test root injected", evidence.TDXQuotes{Roots: signer.Roots(), Collateral: &tdx.PCSGetter{BaseURL: pcs.URL}}, exitOK, "Overall: GREEN"},
		{"Intel's root", evidence.TDXQuotes{Collateral: &tdx.PCSGetter{BaseURL: pcs.URL}}, exitError, "trusted root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := runVerify(context.Background(), []string{url, "--nras", nras.URL(), allow}, verifyDeps{quotes: tt.quotes}, &stdout, &stderr)
			code := exitOK
			switch {
			case errors.Is(err, errNotGreen):
				code = exitNotGreen
			case err != nil:
				code = exitError
			}
			if code != tt.code || !strings.Contains(stdout.String()+errString(err), tt.out) {
				t.Fatalf("code %d (%v), want %d with %q:\n%s", code, err, tt.code, tt.out, stdout.String())
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
