package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-tdx-guest/testing/testdata"

	"confidant/enclave"
	"confidant/enclave/tdx/tdxtest"
)

func TestAttest(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	sample := write("quote.bin", testdata.RawQuote)
	sampleHex := write("quote.hex", []byte(hex.EncodeToString(testdata.RawQuote)+"\n"))
	minted := write("minted.bin", tdxtest.NewSigner().Quote([64]byte{1}, tdxtest.Measurements{}))
	flipped := bytes.Clone(testdata.RawQuote)
	flipped[0x30+520] ^= 1 // first byte of report data
	tampered := write("tampered.bin", flipped)
	sim, err := enclave.NewSimulated(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	simQuote, err := sim.Quote(context.Background(), [64]byte{})
	if err != nil {
		t.Fatal(err)
	}
	simulated := write("simulated.bin", simQuote.Raw)
	golden, err := os.ReadFile("../../enclave/tdx/testdata/sample_v4.json")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		args []string
		code int
		out  string // expected in stdout (or the whole stdout when it is JSON)
		err  string // expected in stderr
	}{
		{"inspect binary", []string{"attest", "inspect", sample}, exitOK, string(golden), ""},
		{"inspect hex, flag after file", []string{"attest", "inspect", sampleHex, "--hex"}, exitOK, string(golden), ""},
		{"inspect hex without --hex", []string{"attest", "inspect", sampleHex}, exitError, "", "add --hex"},
		{"verify inside validity", []string{"attest", "verify", sample, "--at", "2023-07-01T00:00:00Z"}, exitOK, "verified: TDX quote v4", ""},
		{"verify hex", []string{"attest", "verify", "--hex", "--at", "2026-01-01T00:00:00Z", sampleHex}, exitOK, "MRTD               6363b804", ""},
		{"verify after the PCK certificate expired", []string{"attest", "verify", sample, "--at", "2030-01-01T00:00:00Z"}, exitError, "", "PCK leaf certificate is valid from 2022-09-20T13:20:31Z to 2029-09-20T13:20:31Z"},
		{"verify before the PCK certificate", []string{"attest", "verify", sample, "--at", "2021-01-01T00:00:00Z"}, exitError, "", "not valid at the verification time"},
		{"verify tampered report data", []string{"attest", "verify", tampered, "--at", "2023-07-01T00:00:00Z"}, exitError, "", "quote signature does not verify"},
		{"verify test-chain quote against Intel's root", []string{"attest", "verify", minted}, exitError, "", "not among the trusted roots"},
		{"verify simulated", []string{"attest", "verify", simulated}, exitError, "", "simulated quote"},
		{"verify missing file", []string{"attest", "verify", filepath.Join(dir, "nope")}, exitError, "", "no such file"},
		{"no subcommand", []string{"attest"}, exitUsage, "", "attest inspect FILE"},
		{"unknown subcommand", []string{"attest", "check", sample}, exitUsage, "", "attest inspect FILE"},
		{"no file", []string{"attest", "verify"}, exitUsage, "", "attest verify FILE"},
		{"two files", []string{"attest", "inspect", sample, sample}, exitUsage, "", "attest inspect FILE"},
		{"bad --at", []string{"attest", "verify", sample, "--at", "yesterday"}, exitUsage, "", "RFC 3339"},
		{"--at on inspect", []string{"attest", "inspect", sample, "--at", "2023-07-01T00:00:00Z"}, exitUsage, "", "attest inspect FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, func(string) string { return "" }, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stdout.String(), tt.out) || !strings.Contains(stderr.String(), tt.err) {
				t.Fatalf("code %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			if strings.HasPrefix(tt.out, "{") && stdout.String() != tt.out {
				t.Fatalf("JSON differs from the golden file:\n%s", stdout.String())
			}
		})
	}
}
