package evidence

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

	"github.com/google/go-tdx-guest/abi"
	pb "github.com/google/go-tdx-guest/proto/tdx"
	"github.com/google/go-tdx-guest/testing/testdata"

	"confidant/inference/signing"
	"confidant/inference/simbackend"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixedNow is the clock of golden-file tests.
var fixedNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// structureOnlyQuotes is a TEST QuoteVerifier: it parses the quote with
// go-tdx-guest's abi package and vouches for it without checking its
// signature chain, reporting the TCB status it was given. Real chain
// verification (enclave/tdx) replaces it outside tests; no production code
// can reach green with it.
type structureOnlyQuotes struct {
	tcb string
	err error
}

func (s structureOnlyQuotes) VerifyQuote(raw []byte, _ time.Time) (QuoteFacts, error) {
	if s.err != nil {
		return QuoteFacts{}, s.err
	}
	f, err := ParseQuote(raw)
	f.TCBStatus = s.tcb
	return f, err
}

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
	r, err := ParseReport(body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// testKey is a fixed secp256k1 signing key for hardware-shaped reports.
func testKey(t *testing.T, label string) *signing.ECDSAKey {
	t.Helper()
	secret := sha256.Sum256([]byte("evidence test key " + label))
	k, err := signing.NewECDSAKey(secret[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// readTestdata reads a file under testdata.
func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hardwareReport builds a report in the shape a dstack CVM with an H100
// serves, around the real TDX quote go-tdx-guest ships, with its body
// rewritten to bind key and nonce, commit to testdata/app_compose.json and
// carry the RTMR3 of testdata/event_log.json. The rewrite breaks the
// quote's signature: only structureOnlyQuotes accepts it. Its info's
// tcb_info is a JSON string, as dstack's /Info gives it.
func hardwareReport(t *testing.T, key *signing.ECDSAKey, nonce [32]byte) signing.Report {
	t.Helper()
	compose := readTestdata(t, "app_compose.json")
	events, rtmr3Hex, _ := eventLogFixture(t)
	sum := sha256.Sum256(compose)
	rtmr3, _ := hex.DecodeString(rtmr3Hex)

	parsed, err := abi.QuoteToProto(testdata.RawQuote)
	if err != nil {
		t.Fatal(err)
	}
	q := parsed.(*pb.QuoteV4)
	rd, err := signing.ReportData(key.Identity(), nonce)
	if err != nil {
		t.Fatal(err)
	}
	body := q.GetTdQuoteBody()
	body.ReportData = rd[:]
	body.MrConfigId = append(append([]byte{0x01}, sum[:]...), make([]byte, 15)...)
	body.Rtmrs[3] = rtmr3
	raw, err := abi.QuoteToAbiBytes(q)
	if err != nil {
		t.Fatal(err)
	}
	h := hex.EncodeToString
	tcb, _ := json.Marshal(map[string]any{
		"mrtd": h(body.MrTd), "rtmr0": h(body.Rtmrs[0]), "rtmr1": h(body.Rtmrs[1]), "rtmr2": h(body.Rtmrs[2]), "rtmr3": h(rtmr3),
		"app_compose": string(compose), "compose_hash": h(sum[:]), "event_log": json.RawMessage(events),
	})
	info, _ := json.Marshal(map[string]any{
		"app_id": h(sum[:20]), "instance_id": "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e", "app_name": "confidant",
		"compose_hash": h(sum[:]), "tcb_info": string(tcb), "os_image_hash": h(bytes.Repeat([]byte{7}, 32)),
	})
	var compact bytes.Buffer
	json.Compact(&compact, events)
	return signing.Report{
		SigningAddress: key.Address(), SigningAlgo: signing.ECDSA, RequestNonce: h(nonce[:]),
		IntelQuote: h(raw), NvidiaPayload: string(gpuPayloadFor(nonce)), EventLog: compact.String(), Info: info,
	}
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
