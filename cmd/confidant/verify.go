package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"confidant/enclave/evidence"
	"confidant/enclave/tdx"
	"confidant/verifier/check"
)

// verifyUsage describes `confidant verify`.
const verifyUsage = "verify URL [--json] [--allow key=hex,…] [--nras URL|off] [--pcs URL|off] [--strict-tcb] [--timeout 30s]"

// errNotGreen marks a verification in which nothing failed but the
// evidence is simulated or a check could not run (exit code 3).
var errNotGreen = errors.New("not verified on real hardware")

// verifyDeps are what `confidant verify` verifies with. A nil quotes
// verifies TDX quote chains to Intel's root with enclave/tdx, with the TCB
// status from Intel's PCS (or --pcs); tests inject their own.
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
	pcs       string
	strictTCB bool
	timeout   time.Duration
}

func parseVerifyArgs(args []string, stderr io.Writer) (verifyOptions, error) {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the verdict as JSON")
	allow := fs.String("allow", "", "pinned measurements: comma-separated mrtd=, rtmr0..3=, compose_hash=, app_id=, image=sha256: entries")
	nras := fs.String("nras", evidence.DefaultNRASURL, "NVIDIA remote attestation service base URL, or off")
	pcs := fs.String("pcs", "", "base URL of Intel's PCS or a caching proxy for TCB collateral (default: Intel's own), or off")
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
	base, err := check.BaseURL(positional[0])
	if err != nil {
		return verifyOptions{}, fmt.Errorf("%w: %v", errUsage, err)
	}
	a, err := evidence.ParseAllowlist(*allow)
	if err != nil {
		return verifyOptions{}, fmt.Errorf("%w: --allow: %v", errUsage, err)
	}
	return verifyOptions{baseURL: base, json: *asJSON, allow: a, nras: *nras, pcs: *pcs, strictTCB: *strict, timeout: *timeout}, nil
}

func runVerify(ctx context.Context, args []string, deps verifyDeps, stdout, stderr io.Writer) error {
	opts, err := parseVerifyArgs(args, stderr)
	if err != nil {
		return err
	}
	nras := opts.nras
	if nras == "off" {
		nras = ""
	}
	if deps.quotes == nil {
		q := evidence.TDXQuotes{}
		if opts.pcs != "off" {
			q.Collateral = &tdx.PCSGetter{BaseURL: opts.pcs, Timeout: opts.timeout}
		}
		deps.quotes = q
	}
	out, err := check.Deployment(ctx, opts.baseURL, check.Options{Client: &http.Client{Timeout: opts.timeout},
		Quotes: deps.quotes, NRAS: nras, Allow: opts.allow, StrictTCB: opts.strictTCB})
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if opts.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fmt.Errorf("verify: %w", err)
		}
	} else {
		printVerdict(stdout, out)
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

// printVerdict writes the readable report.
func printVerdict(w io.Writer, o check.Result) {
	fmt.Fprintf(w, "Attestation of %s (nonce %s)\n", o.URL, o.Nonce)
	fmt.Fprintf(w, "Overall: %s\n", stateWords(o.State, o.Simulated))
	if o.Reason != "" {
		fmt.Fprintf(w, "Reason:  %s\n", o.Reason)
	}
	for _, r := range o.Reports {
		fmt.Fprintf(w, "\n%s — %s\n", r.Name, stateWords(r.State, r.Simulated))
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
