// Package check verifies a deployment from the outside: it asks for the
// deployment's attestation report over a nonce made here, and verifies the
// app's own report and every backend report in it. It is the code behind
// `confidant verify URL` and the browser verifier (compiled to
// WebAssembly), so both reach the same verdict.
package check

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"confidant/enclave/evidence"
)

// maxReportBytes caps the attestation answer read.
const maxReportBytes = 16 << 20

// Options are what a deployment is verified with.
type Options struct {
	// Client makes the requests (default http.DefaultClient).
	Client *http.Client
	// Quotes verifies TDX quote chains; nil: quotes are parsed but their
	// chains are not checked, so the verdict is never green.
	Quotes evidence.QuoteVerifier
	// NRAS is NVIDIA's remote attestation service base URL; "" does not
	// ask it (the GPU verdict is then skipped).
	NRAS      string
	Allow     evidence.Allowlist
	StrictTCB bool
}

// Result is the verdict on a deployment.
type Result struct {
	URL       string         `json:"url"`
	Nonce     string         `json:"nonce"`
	State     evidence.State `json:"state"`
	Simulated bool           `json:"simulated"`
	Reason    string         `json:"reason,omitempty"` // the first failure, or why it is not green
	Reports   []Report       `json:"reports"`
}

// Report is one report's verdict and its role: gateway (the app itself),
// model (a backend behind it) or node (a single backend report).
type Report struct {
	Role string `json:"role"`
	Name string `json:"name"` // "gateway", "model 2", "node": for people
	evidence.Verdict
}

// BaseURL normalizes a deployment address: http(s) only, without a
// trailing slash or /v1.
func BaseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) URL", raw)
	}
	return strings.TrimSuffix(strings.TrimRight(u.String(), "/"), "/v1"), nil
}

// Deployment verifies the deployment at baseURL (see BaseURL).
func Deployment(ctx context.Context, baseURL string, opt Options) (Result, error) {
	if opt.Client == nil {
		opt.Client = http.DefaultClient
	}
	var nonce [32]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return Result{}, fmt.Errorf("nonce: %w", err)
	}
	body, err := fetch(ctx, opt.Client, baseURL, nonce)
	if err != nil {
		return Result{}, err
	}
	answer, isGateway, err := evidence.ParseAnswer(body)
	if err != nil {
		return Result{}, err
	}
	cfg := evidence.Config{Quotes: opt.Quotes, Allow: opt.Allow, StrictTCB: opt.StrictTCB}
	if opt.NRAS != "" {
		cfg.NRAS = evidence.NewNRASClient(evidence.NRASConfig{BaseURL: opt.NRAS, HTTPClient: opt.Client})
	}
	v := evidence.New(cfg)
	out := Result{URL: baseURL, Nonce: hex.EncodeToString(nonce[:])}
	if isGateway {
		g := v.VerifyGateway(ctx, answer, nonce)
		out.State, out.Simulated = g.State, g.Simulated
		out.Reports = append(out.Reports, Report{Role: "gateway", Name: "gateway", Verdict: g.Gateway})
		for i, m := range g.Models {
			out.Reports = append(out.Reports, Report{Role: "model", Name: fmt.Sprintf("model %d", i+1), Verdict: m})
		}
	} else {
		vd := v.VerifyReport(ctx, answer.Models[0], nonce)
		out.State, out.Simulated = vd.State, vd.Simulated
		out.Reports = []Report{{Role: "node", Name: "node", Verdict: vd}}
	}
	out.Reason = out.reason()
	return out, nil
}

// fetch GETs baseURL's report for nonce.
func fetch(ctx context.Context, client *http.Client, baseURL string, nonce [32]byte) ([]byte, error) {
	target := baseURL + "/v1/attestation/report?" + url.Values{"nonce": {hex.EncodeToString(nonce[:])}, "signing_algo": {"ecdsa"}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching the report: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReportBytes))
	if err != nil {
		return nil, fmt.Errorf("reading the report: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the report request answered HTTP %d", resp.StatusCode)
	}
	return body, nil
}

// reason names the first failed check, or else the first that could not
// run; empty for green.
func (r Result) reason() string {
	for _, want := range []evidence.Status{evidence.Fail, evidence.Skipped} {
		for _, rep := range r.Reports {
			for _, c := range rep.Checks {
				if c.Status == want {
					return fmt.Sprintf("%s: %s: %s", rep.Name, c.Name, c.Detail)
				}
			}
		}
	}
	if r.Simulated {
		return "the evidence is simulated"
	}
	return ""
}
