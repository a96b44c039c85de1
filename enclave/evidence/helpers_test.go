package evidence_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"confidant/enclave/evidence"
	"confidant/inference/signing"
	"confidant/inference/simbackend"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixedNow is the clock of golden-file tests.
var fixedNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// simServer starts the simulated backend on a random port.
func simServer(t *testing.T) string {
	t.Helper()
	ts := httptest.NewServer(simbackend.New(simbackend.Options{Seed: "evidence-test"}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// fetchReport gets a report for nonce over plain HTTP, as a verifier does.
func fetchReport(t *testing.T, baseURL string, nonce [32]byte, algo signing.Algo) signing.Report {
	t.Helper()
	resp, err := http.Get(baseURL + "/v1/attestation/report?nonce=" + hex.EncodeToString(nonce[:]) + "&signing_algo=" + string(algo))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("report: HTTP %d: %s", resp.StatusCode, body)
	}
	r, err := evidence.ParseReport(body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// editTCB changes a report's info and tcb_info as JSON maps, keeping
// tcb_info's form (object or string).
func editTCB(t *testing.T, r *signing.Report, edit func(info, tcb map[string]any)) {
	t.Helper()
	var info map[string]any
	if err := json.Unmarshal(r.Info, &info); err != nil {
		t.Fatal(err)
	}
	var tcb map[string]any
	asString := false
	switch v := info["tcb_info"].(type) {
	case string:
		asString = true
		if err := json.Unmarshal([]byte(v), &tcb); err != nil {
			t.Fatal(err)
		}
	case map[string]any:
		tcb = v
	}
	edit(info, tcb)
	if asString {
		b, _ := json.Marshal(tcb)
		info["tcb_info"] = string(b)
	} else {
		info["tcb_info"] = tcb
	}
	b, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	r.Info = b
}

// tcbField returns a field of a report's tcb_info.
func tcbField(t *testing.T, r signing.Report, key string) string {
	t.Helper()
	var out string
	editTCB(t, &r, func(_, tcb map[string]any) { out, _ = tcb[key].(string) })
	return out
}

func mustAllow(t *testing.T, spec string) evidence.Allowlist {
	t.Helper()
	a, err := evidence.ParseAllowlist(spec)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// checkGolden compares v with testdata/golden/name, or rewrites it with
// -update.
func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no golden file %s: run go test -update", path)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n%s", name, got)
	}
}
