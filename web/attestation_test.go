package web_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"confidant/attestation"
	"confidant/enclave"
	"confidant/enclave/evidence"
	"confidant/inference/signing"
	"confidant/internal/softauthn"
	"confidant/internal/testclient"
	"confidant/internal/testserver"
)

// fetchReport gets the app's public report with a fresh nonce, without any
// credentials, as a verifier on another origin would.
func fetchReport(t *testing.T, srv *testserver.Server, algo string) (attestation.GatewayReport, [32]byte, *http.Response) {
	t.Helper()
	var nonce [32]byte
	rand.Read(nonce[:])
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/v1/attestation/report?nonce=%x&signing_algo=%s", srv.URL, nonce, algo), nil)
	req.Header.Set("Origin", "https://verifier.example")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("report: %d %s", res.StatusCode, body)
	}
	var r attestation.GatewayReport
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	return r, nonce, res
}

func TestGatewayReport(t *testing.T) {
	srv := start(t)
	for _, algo := range []string{"ecdsa", "ed25519"} {
		t.Run(algo, func(t *testing.T) {
			r, nonce, res := fetchReport(t, srv, algo)
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
			}
			if got := res.Header.Get("Cross-Origin-Resource-Policy"); got != "cross-origin" {
				t.Errorf("Cross-Origin-Resource-Policy = %q", got)
			}
			g := r.GatewayAttestation
			if string(g.SigningAlgo) != algo || g.RequestNonce != hex.EncodeToString(nonce[:]) || !g.Simulated {
				t.Fatalf("report = %+v", g)
			}
			quote, err := hex.DecodeString(g.IntelQuote)
			if err != nil {
				t.Fatal(err)
			}
			got, err := enclave.ParseSimulatedQuote(quote)
			if err != nil {
				t.Fatalf("quote: %v", err)
			}
			want, err := g.ExpectedReportData()
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("report_data does not bind the signing key and nonce")
			}
			var info map[string]any
			if err := json.Unmarshal(g.Info, &info); err != nil || info["app_id"] == nil {
				t.Errorf("info = %s (%v)", g.Info, err)
			}
			if r.ModelAttestations == nil {
				t.Errorf("model_attestations is null, want a list")
			}
			again, _, _ := fetchReport(t, srv, algo)
			if again.GatewayAttestation.SigningAddress != g.SigningAddress {
				t.Errorf("signing address changed between requests")
			}
		})
	}
}

func TestGatewayReportBadInput(t *testing.T) {
	srv := start(t)
	tests := []struct {
		query string
		code  int
	}{
		{"nonce=abc", http.StatusBadRequest},
		{"nonce=" + strings.Repeat("zz", 32), http.StatusBadRequest},
		{"nonce=" + strings.Repeat("00", 31), http.StatusBadRequest},
		{"signing_algo=rsa", http.StatusBadRequest},
		{"", http.StatusOK}, // no nonce: one is made up
	}
	for _, tt := range tests {
		res, err := http.Get(srv.URL + "/v1/attestation/report?" + tt.query)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.code {
			t.Errorf("%q: %d %s, want %d", tt.query, res.StatusCode, body, tt.code)
		}
		if tt.code != http.StatusOK && !bytes.Contains(body, []byte(`"error"`)) {
			t.Errorf("%q: error is not JSON: %s", tt.query, body)
		}
	}
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/v1/attestation/report", nil)
	req.Header.Set("Origin", "https://verifier.example")
	req.Header.Set("Access-Control-Request-Method", "GET")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
	}
}

// postCompletion sends body to /v1/chat/completions and returns the id and
// the bytes the signature must cover: the whole body, or for a stream
// every data payload but [DONE], concatenated.
func postCompletion(t *testing.T, srv *testserver.Server, key string, body []byte, stream bool) (string, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("completion: %d %s", res.StatusCode, b)
	}
	var signed []byte
	if !stream {
		signed, _ = io.ReadAll(res.Body)
	} else {
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if ok && data != "[DONE]" {
				signed = append(signed, data...)
			}
		}
	}
	var first struct {
		ID string `json:"id"`
	}
	dec := json.NewDecoder(bytes.NewReader(signed))
	if err := dec.Decode(&first); err != nil || first.ID == "" {
		t.Fatalf("no completion id in %q", signed)
	}
	return first.ID, signed
}

func getSignature(t *testing.T, srv *testserver.Server, key, id, algo string) (signing.Signature, int) {
	t.Helper()
	var sig signing.Signature
	code := apiGet(t, srv, key, "/v1/signature/"+id+"?signing_algo="+algo, &sig)
	return sig, code
}

func TestAPIResponseSignatures(t *testing.T) {
	srv := start(t)
	alice := testclient.New(t, srv)
	device := softauthn.New(srv.URL)
	alice.SignUp(device, "alice", "Alice")
	key := alice.CreateAPIKey(device, "tests", "chat")
	bob := testclient.New(t, srv)
	bobDevice := softauthn.New(srv.URL)
	bob.SignUp(bobDevice, "bob", "Bob")
	bobKey := bob.CreateAPIKey(bobDevice, "tests", "chat")

	tests := []struct {
		name   string
		stream bool
		body   string
	}{
		{"whole", false, `{"model":"sim-chat","messages":[{"role":"user","content":"Sign this answer"}]}`},
		{"stream", true, `{"model":"sim-chat","stream":true,"messages":[{"role":"user","content":"Sign this stream [[sim:tokens=20]]"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			id, signed := postCompletion(t, srv, key, body, tt.stream)
			for _, algo := range []string{"ecdsa", "ed25519"} {
				sig, code := getSignature(t, srv, key, id, algo)
				if code != http.StatusOK {
					t.Fatalf("%s signature: %d", algo, code)
				}
				if err := signing.MatchText(sig.Text, body, signed); err != nil {
					t.Errorf("%s: signed text does not cover the exchange: %v", algo, err)
				}
				if err := sig.Verify(); err != nil {
					t.Errorf("%s: %v", algo, err)
				}
				report, _, _ := fetchReport(t, srv, algo)
				if sig.SigningAddress != report.GatewayAttestation.SigningAddress {
					t.Errorf("%s: signed by %s, the report attests %s", algo, sig.SigningAddress, report.GatewayAttestation.SigningAddress)
				}
				if err := signing.MatchText(sig.Text, append(body, ' '), signed); err == nil {
					t.Errorf("%s: a different request matches the signed text", algo)
				}
			}
			if _, code := getSignature(t, srv, bobKey, id, "ecdsa"); code != http.StatusNotFound {
				t.Errorf("another user's signature: %d, want 404", code)
			}
		})
	}
	for _, id := range []string{"chatcmpl-00000000-0000-0000-0000-000000000000", "nonsense"} {
		if _, code := getSignature(t, srv, key, id, "ecdsa"); code != http.StatusNotFound {
			t.Errorf("signature of %s: %d, want 404", id, code)
		}
	}
	if code := apiGet(t, srv, "", "/v1/signature/nonsense", nil); code != http.StatusUnauthorized {
		t.Errorf("signature without a key: %d, want 401", code)
	}
}

// The app's own report verifies with the evidence verifier a third party
// would run: amber (simulated), never green, and nothing fails.
func TestGatewayReportVerifies(t *testing.T) {
	srv := start(t)
	var nonce [32]byte
	rand.Read(nonce[:])
	res, err := http.Get(fmt.Sprintf("%s/v1/attestation/report?nonce=%x", srv.URL, nonce))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	answer, gateway, err := evidence.ParseAnswer(body)
	if err != nil || !gateway {
		t.Fatalf("parse: gateway=%v %v", gateway, err)
	}
	v := evidence.New(evidence.Config{}).VerifyGateway(context.Background(), answer, nonce)
	if where, c, failed := v.Failed(); failed {
		t.Fatalf("%s: %s failed: %s", where, c.Name, c.Detail)
	}
	if v.State != evidence.Amber || !v.Simulated {
		t.Errorf("state %s simulated=%v, want amber and simulated", v.State, v.Simulated)
	}
	var other [32]byte
	if v := evidence.New(evidence.Config{}).VerifyGateway(context.Background(), answer, other); v.State != evidence.Red {
		t.Errorf("a report for another nonce verifies %s", v.State)
	}
}

func TestVerifierPageServed(t *testing.T) {
	srv := start(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(srv.URL + "/verifier")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/verifier/" {
		t.Errorf("/verifier: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res, err = client.Get(srv.URL + "/verifier/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("Check a Confidant deployment")) {
		t.Fatalf("/verifier/: %d", res.StatusCode)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "'wasm-unsafe-eval'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("verifier CSP = %q", csp)
	}
}
