package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"confidant/enclave/tdx"
)

// attestUsage describes `confidant attest`.
const attestUsage = "attest inspect FILE [--hex] | attest verify FILE [--hex] [--at RFC3339]"

// attestCmd runs `confidant attest inspect|verify FILE`: it reads a raw
// TDX quote (binary, or hex with --hex; FILE "-" is standard input) and
// prints its fields as JSON, or verifies its signature chain to Intel's
// root offline as of --at (default now).
func attestCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "inspect" && args[0] != "verify") {
		return fmt.Errorf("%w: %s", errUsage, attestUsage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("attest "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	hexInput := fs.Bool("hex", false, "FILE holds the quote hex-encoded")
	at := ""
	if sub == "verify" {
		fs.StringVar(&at, "at", "", "verify as of this time (RFC 3339), default now")
	}
	files, err := parseInterspersed(fs, args[1:])
	if err != nil || len(files) != 1 {
		return fmt.Errorf("%w: %s", errUsage, attestUsage)
	}
	var now time.Time
	if at != "" {
		if now, err = time.Parse(time.RFC3339, at); err != nil {
			return fmt.Errorf("%w: --at %q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", errUsage, at)
		}
	}
	raw, err := readQuote(files[0], *hexInput, stdin)
	if err != nil {
		return err
	}
	if sub == "inspect" {
		return inspectQuote(raw, stdout)
	}
	return verifyQuote(raw, now, stdout)
}

// parseInterspersed parses flags that may come before or after the
// positional arguments, which it returns.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// readQuote reads the quote in name ("-": stdin), hex-decoding it if asked.
func readQuote(name string, hexInput bool, stdin io.Reader) ([]byte, error) {
	var raw []byte
	var err error
	if name == "-" {
		raw, err = io.ReadAll(io.LimitReader(stdin, 1<<20))
	} else {
		raw, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("read quote: %w", err)
	}
	if !hexInput {
		return raw, nil
	}
	text := strings.TrimPrefix(strings.TrimSpace(string(raw)), "0x")
	text = strings.Trim(text, `"`)
	decoded, err := hex.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("quote is not valid hex (drop --hex for a binary quote): %w", err)
	}
	return decoded, nil
}

// inspectQuote prints the parsed quote as indented JSON.
func inspectQuote(raw []byte, stdout io.Writer) error {
	q, err := tdx.Parse(raw)
	if err != nil {
		return hintHex(raw, err)
	}
	out, err := json.MarshalIndent(q, "", "  ")
	if err != nil {
		return fmt.Errorf("print quote: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "%s\n", out)
	return err
}

// verifyQuote verifies raw against Intel's root as of now and prints a
// short report.
func verifyQuote(raw []byte, now time.Time, stdout io.Writer) error {
	res, err := tdx.Verify(raw, tdx.Options{Now: now})
	if err != nil {
		return fmt.Errorf("NOT VERIFIED: %w", hintHex(raw, err))
	}
	q := res.Quote
	var b bytes.Buffer
	fmt.Fprintf(&b, "verified: TDX quote v%d signed by a genuine Intel TDX platform\n", q.Version)
	fmt.Fprintf(&b, "  certificate chain  valid at %s up to Intel SGX Root CA\n", res.VerifiedAt.Format(time.RFC3339))
	fmt.Fprintf(&b, "  PCK certificate    %s (expires %s)\n", res.PCKSubject, res.PCKNotAfter.Format(time.RFC3339))
	fmt.Fprintf(&b, "  TCB status         not checked (offline: no Intel PCS collateral)\n")
	fmt.Fprintf(&b, "  MRTD               %x\n", q.MRTD)
	for i, r := range q.RTMRs {
		fmt.Fprintf(&b, "  RTMR%d              %x\n", i, r)
	}
	fmt.Fprintf(&b, "  MRCONFIGID         %x\n", q.MRConfigID)
	fmt.Fprintf(&b, "  report data        %x\n", q.ReportData)
	fmt.Fprintf(&b, "  verifier           %s\n", res.Verifier)
	fmt.Fprintf(&b, "This proves which TD measurements a TDX machine signed; compare them with the published build to know what code ran.\n")
	_, err = stdout.Write(b.Bytes())
	return err
}

// hintHex adds a hint when a parse failure looks like hex given without
// --hex.
func hintHex(raw []byte, err error) error {
	if errors.Is(err, tdx.ErrUnsupported) || errors.Is(err, tdx.ErrTruncated) {
		if _, hexErr := hex.DecodeString(strings.TrimSpace(string(raw))); hexErr == nil && len(raw) > 0 {
			return fmt.Errorf("%w (the file looks hex-encoded: add --hex)", err)
		}
	}
	return err
}
