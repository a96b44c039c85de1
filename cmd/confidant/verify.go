package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"confidant/enclave/evidence"
)

// verifyUsage describes `confidant verify`.
const verifyUsage = "verify URL [--json] [--allow key=hex,…] [--nras URL|off] [--strict-tcb] [--timeout 30s]"

// maxReportBytes caps the attestation answer a verifier reads.
const maxReportBytes = 16 << 20

// errNotGreen marks a verification in which nothing failed but the
// evidence is simulated or a check could not run (exit code 3).
var errNotGreen = errors.New("not verified on real hardware")

// verifyDeps are what `confidant verify` verifies with. quotes is nil
// until a TDX quote chain verifier is wired in: quotes are then parsed but
// their signature chains are not checked, so the verdict is never green.
type verifyDeps struct {
	quotes evidence.QuoteVerifier
}

// verifyCmd runs `confidant verify URL`: it fetches URL's attestation
// report with a fresh nonce, verifies the app's report and every backend
// report in it, prints the verdict, and returns nil only when everything
// is verified on real hardware (errNotGreen when nothing failed but
// something is simulated or unchecked).
func verifyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runVerify(ctx, args, verifyDeps{}, stdout, stderr)
}

// verifyOptions are the parsed command line.
type verifyOptions struct {
	baseURL   string
	json      bool
	allow     evidence.Allowlist
	nras      string
	strictTCB bool
	timeout   time.Duration
}

func parseVerifyArgs(args []string, stderr io.Writer) (verifyOptions, error) {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the verdict as JSON")
	allow := fs.String("allow", "", "pinned measurements: comma-separated mrtd=, rtmr0..3=, compose_hash=, app_id=, image=sha256: entries")
	nras := fs.String("nras", evidence.DefaultNRASURL, "NVIDIA remote attestation service base URL, or off")
	strict := fs.Bool("strict-tcb", false, "fail quotes whose TCB status is OutOfDate")
	timeout := fs.Duration("timeout", 30*time.Second, "time limit for each HTTP request")
	// Flags may come before or after the URL.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return verifyOptions{}, fmt.Errorf("%w: %s", errUsage, verifyUsage)
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != 1 || *timeout <= 0 {
		return verifyOptions{}, fmt.Errorf("%w: %s", errUsage, verifyUsage)
	}
	u, err := url.Parse(positional[0])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return verifyOptions{}, fmt.Errorf("%w: %q is not an http(s) URL", errUsage, positional[0])
	}
	a, err := evidence.ParseAllowlist(*allow)
	if err != nil {
		return verifyOptions{}, fmt.Errorf("%w: --allow: %v", errUsage, err)
	}
	base := strings.TrimSuffix(strings.TrimRight(u.String(), "/"), "/v1")
	return verifyOptions{baseURL: base, json: *asJSON, allow: a, nras: *nras, strictTCB: *strict, timeout: *timeout}, nil
}

func runVerify(ctx context.Context, args []string, deps verifyDeps, stdout, stderr io.Writer) error {
	opts, err := parseVerifyArgs(args, stderr)
	if err != nil {
		return err
	}
	var nonce [32]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return fmt.Errorf("verify: nonce: %w", err)
	}
	client := &http.Client{Timeout: opts.timeout}
	body, err := fetchAttestation(ctx, client, opts.baseURL, nonce)
	if err != nil {
		return err
	}
	answer, isGateway, err := evidence.ParseAnswer(body)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	cfg := evidence.Config{Quotes: deps.quotes, Allow: opts.allow, StrictTCB: opts.strictTCB}
	if opts.nras != "off" {
		cfg.NRAS = evidence.NewNRASClient(evidence.NRASConfig{BaseURL: opts.nras, HTTPClient: client})
	}
	v := evidence.New(cfg)
	out := verifyOutput{URL: opts.baseURL, Nonce: hex.EncodeToString(nonce[:])}
	if isGateway {
		g := v.VerifyGateway(ctx, answer, nonce)
		out.State, out.Simulated = g.State, g.Simulated
		out.Reports = append(out.Reports, reportVerdict{Role: "gateway", Verdict: g.Gateway})
		for _, m := range g.Models {
			out.Reports = append(out.Reports, reportVerdict{Role: "model", Verdict: m})
		}
	} else {
		vd := v.VerifyReport(ctx, answer.Models[0], nonce)
		out.State, out.Simulated = vd.State, vd.Simulated
		out.Reports = []reportVerdict{{Role: "node", Verdict: vd}}
	}
	out.Reason = out.reason()
	if opts.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fmt.Errorf("verify: %w", err)
		}
	} else {
		out.print(stdout)
	}
	switch out.State {
	case evidence.Green:
		return nil
	case evidence.Amber:
		return fmt.Errorf("%w: %s", errNotGreen, out.Reason)
	default:
		return fmt.Errorf("verification failed: %s", out.Reason)
	}
}

// fetchAttestation GETs baseURL's report for nonce.
func fetchAttestation(ctx context.Context, client *http.Client, baseURL string, nonce [32]byte) ([]byte, error) {
	target := baseURL + "/v1/attestation/report?" + url.Values{"nonce": {hex.EncodeToString(nonce[:])}, "signing_algo": {"ecdsa"}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("verify: fetching the report: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReportBytes))
	if err != nil {
		return nil, fmt.Errorf("verify: reading the report: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("verify: the report request answered HTTP %d", resp.StatusCode)
	}
	return body, nil
}

// verifyOutput is what `confidant verify` prints (--json: as JSON).
type verifyOutput struct {
	URL       string          `json:"url"`
	Nonce     string          `json:"nonce"`
	State     evidence.State  `json:"state"`
	Simulated bool            `json:"simulated"`
	Reason    string          `json:"reason,omitempty"` // the first failure, or why it is not green
	Reports   []reportVerdict `json:"reports"`
}

// reportVerdict is one report's verdict and its role: gateway (the app
// itself), model (a backend behind it) or node (a single backend report).
type reportVerdict struct {
	Role string `json:"role"`
	evidence.Verdict
}

// reason names the first failed check, or else the first that could not
// run; empty for green.
func (o verifyOutput) reason() string {
	for _, want := range []evidence.Status{evidence.Fail, evidence.Skipped} {
		for i, r := range o.Reports {
			for _, c := range r.Checks {
				if c.Status == want {
					return fmt.Sprintf("%s: %s: %s", o.label(i), c.Name, c.Detail)
				}
			}
		}
	}
	if o.Simulated {
		return "the evidence is simulated"
	}
	return ""
}

// label names report i for a person.
func (o verifyOutput) label(i int) string {
	r := o.Reports[i]
	if r.Role == "model" {
		n := 0
		for _, p := range o.Reports[:i+1] {
			if p.Role == "model" {
				n++
			}
		}
		return fmt.Sprintf("model %d", n)
	}
	return r.Role
}

// print writes the readable report.
func (o verifyOutput) print(w io.Writer) {
	fmt.Fprintf(w, "Attestation of %s (nonce %s)\n", o.URL, o.Nonce)
	fmt.Fprintf(w, "Overall: %s\n", stateWords(o.State, o.Simulated))
	if o.Reason != "" {
		fmt.Fprintf(w, "Reason:  %s\n", o.Reason)
	}
	for i, r := range o.Reports {
		fmt.Fprintf(w, "\n%s — %s\n", o.label(i), stateWords(r.State, r.Simulated))
		if r.SigningAddress != "" {
			fmt.Fprintf(w, "  signing address %s (%s)\n", r.SigningAddress, r.SigningAlgo)
		}
		for _, c := range r.Checks {
			fmt.Fprintf(w, "  %s %-13s %s\n", statusMark(c.Status), c.Name, c.Detail)
		}
		if len(r.Facts) > 0 {
			fmt.Fprintln(w, "  facts:")
			for _, k := range sortedKeys(r.Facts) {
				fmt.Fprintf(w, "    %-22s %s\n", k, r.Facts[k])
			}
		}
	}
}

func stateWords(s evidence.State, simulated bool) string {
	switch {
	case s == evidence.Green:
		return "GREEN: verified on real hardware"
	case s == evidence.Red:
		return "RED: a check failed"
	case simulated:
		return "AMBER: simulated, no hardware evidence"
	default:
		return "AMBER: nothing failed, but a check could not run"
	}
}

func statusMark(s evidence.Status) string {
	switch s {
	case evidence.Pass:
		return "✓"
	case evidence.Fail:
		return "✗"
	default:
		return "!"
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
