package simbackend_test

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"confidant/enclave"
	"confidant/inference/signing"
	"confidant/inference/simbackend"
)

func getReport(t *testing.T, url, query string) signing.Report {
	t.Helper()
	status, body := do(t, "GET", url+"/v1/attestation/report?"+query, "")
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	var r signing.Report
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReport(t *testing.T) {
	sim, ts := newServer(t, simbackend.Options{Seed: "report-test"})
	nonce := strings.Repeat("5a", 32)
	for _, algo := range []signing.Algo{signing.ECDSA, signing.Ed25519} {
		t.Run(string(algo), func(t *testing.T) {
			r := getReport(t, ts.URL, "nonce="+nonce+"&signing_algo="+string(algo)+"&model=sim-chat")
			if r.SigningAlgo != algo || r.RequestNonce != nonce || r.SigningAddress != sim.SigningAddress(algo) || !r.Simulated {
				t.Errorf("report = %+v", r)
			}
			quote, err := hex.DecodeString(r.IntelQuote)
			if err != nil {
				t.Fatal(err)
			}
			if !enclave.IsSimulatedQuote(quote) {
				t.Fatalf("quote does not start with the simulated magic: %q", quote[:16])
			}
			rd, err := enclave.ParseSimulatedQuote(quote)
			if err != nil {
				t.Fatal(err)
			}
			want, err := r.ExpectedReportData()
			if err != nil {
				t.Fatal(err)
			}
			if rd != want {
				t.Errorf("report_data = %x, want %x", rd, want)
			}
			var gpu struct {
				Nonce        string `json:"nonce"`
				EvidenceList []any  `json:"evidence_list"`
				Arch         string `json:"arch"`
				Simulated    bool   `json:"simulated"`
			}
			if err := json.Unmarshal([]byte(r.NvidiaPayload), &gpu); err != nil || gpu.Nonce != nonce || gpu.Arch != "HOPPER" || !gpu.Simulated || gpu.EvidenceList == nil {
				t.Errorf("nvidia_payload = %s (%v)", r.NvidiaPayload, err)
			}
			var info struct {
				AppID       string `json:"app_id"`
				ComposeHash string `json:"compose_hash"`
				Simulated   bool   `json:"simulated"`
				TCBInfo     struct {
					MRTD       string `json:"mrtd"`
					AppCompose string `json:"app_compose"`
				} `json:"tcb_info"`
			}
			if err := json.Unmarshal(r.Info, &info); err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{info.AppID, info.ComposeHash, info.TCBInfo.MRTD} {
				if !strings.HasPrefix(v, "simulated-") {
					t.Errorf("info value %q is not marked simulated", v)
				}
			}
			if !info.Simulated || info.TCBInfo.AppCompose == "" {
				t.Errorf("info = %s", r.Info)
			}
			if _, err := hex.DecodeString(strings.TrimPrefix(r.SigningAddress, "0x")); err != nil {
				t.Errorf("signing address %q is not hex", r.SigningAddress)
			}
		})
	}
	r := getReport(t, ts.URL, "")
	if len(r.RequestNonce) != 64 {
		t.Errorf("no nonce given: request_nonce = %q, want a fresh random one", r.RequestNonce)
	}
}

func TestSeedDerivesKeys(t *testing.T) {
	a := simbackend.New(simbackend.Options{Seed: "a"})
	a2 := simbackend.New(simbackend.Options{Seed: "a"})
	b := simbackend.New(simbackend.Options{Seed: "b"})
	for _, algo := range []signing.Algo{signing.ECDSA, signing.Ed25519} {
		if a.SigningAddress(algo) != a2.SigningAddress(algo) {
			t.Errorf("%s: same seed, different keys", algo)
		}
		if a.SigningAddress(algo) == b.SigningAddress(algo) {
			t.Errorf("%s: different seeds, same key", algo)
		}
	}
	if addr := a.SigningAddress(signing.ECDSA); len(addr) != 42 || addr != strings.ToLower(addr) {
		t.Errorf("ecdsa address %q is not 0x + 40 lowercase hex", addr)
	}
}

// TestSignatures checks that the signed text hashes exactly the request
// body and the response bytes (body, or concatenated SSE payloads) and
// that the signature verifies against the report's signing address.
func TestSignatures(t *testing.T) {
	_, ts := newServer(t, simbackend.Options{})
	for _, stream := range []bool{false, true} {
		for _, algo := range []signing.Algo{signing.ECDSA, signing.Ed25519} {
			t.Run(map[bool]string{false: "complete", true: "stream"}[stream]+"/"+string(algo), func(t *testing.T) {
				reqBody := chatBody(t, "sim-chat", "sign this please", stream, nil)
				resp, err := http.Post(ts.URL+"/v1/chat/completions", "application/json", strings.NewReader(reqBody))
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var respBytes []byte
				var id string
				if stream {
					events, err := sseEvents(resp.Body)
					if err != nil {
						t.Fatal(err)
					}
					for _, e := range events[:len(events)-1] {
						respBytes = append(respBytes, e...)
					}
					id = decodeChunks(t, events)[0].ID
				} else {
					respBytes, _ = io.ReadAll(resp.Body)
					var c completionBody
					json.Unmarshal(respBytes, &c)
					id = c.ID
				}
				status, body := do(t, "GET", ts.URL+"/v1/signature/"+id+"?model=sim-chat&signing_algo="+string(algo), "")
				if status != 200 {
					t.Fatalf("signature: %d %s", status, body)
				}
				var sig signing.Signature
				if err := json.Unmarshal(body, &sig); err != nil {
					t.Fatal(err)
				}
				if sig.Text != signing.SignedText([]byte(reqBody), respBytes) {
					t.Errorf("text %s does not hash the exchanged bytes", sig.Text)
				}
				report := getReport(t, ts.URL, "signing_algo="+string(algo))
				if sig.SigningAddress != report.SigningAddress || sig.SigningAlgo != algo {
					t.Errorf("signature by %s/%s, report key %s", sig.SigningAddress, sig.SigningAlgo, report.SigningAddress)
				}
				if err := signing.Verify(algo, sig.Text, sig.Signature, report.SigningAddress); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

func TestSignatureStoreIsBounded(t *testing.T) {
	_, ts := newServer(t, simbackend.Options{MaxSignatures: 2, DefaultTokens: 1})
	var ids []string
	for range 3 {
		_, body := do(t, "POST", ts.URL+"/v1/chat/completions", chatBody(t, "sim-chat", "x", false, nil))
		var c completionBody
		json.Unmarshal(body, &c)
		ids = append(ids, c.ID)
	}
	for i, want := range []int{404, 200, 200} {
		if status, _ := do(t, "GET", ts.URL+"/v1/signature/"+ids[i], ""); status != want {
			t.Errorf("completion %d: status %d, want %d", i, status, want)
		}
	}
}
