package evidencetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"

	"confidant/enclave/tdx/tdxtest"
	"confidant/inference/signing"
	"confidant/inference/simbackend"
)

// Measurements are the TD measurements of a CVM running AppCompose:
// mr_config_id commits to its compose hash and RTMR3 is what EventLog
// replays to; MRTD and RTMR0–2 are fixed test values.
func Measurements(tb testing.TB) tdxtest.Measurements {
	tb.Helper()
	exp := EventLogExpected(tb)
	var m tdxtest.Measurements
	copy(m.MRTD[:], bytes.Repeat([]byte{0x4d}, 48))
	for i := range 3 {
		copy(m.RTMRs[i][:], bytes.Repeat([]byte{byte(0x10 + i)}, 48))
	}
	rtmr3, err := hex.DecodeString(exp.RTMR3)
	if err != nil || len(rtmr3) != 48 {
		tb.Fatalf("expected rtmr3: %v", err)
	}
	copy(m.RTMRs[3][:], rtmr3)
	sum := sha256.Sum256(appCompose)
	m.MRConfigID[0] = 0x01
	copy(m.MRConfigID[1:], sum[:])
	return m
}

// Info returns dstack's /Info answer for a CVM with measurements m running
// AppCompose, with tcb_info as a JSON string as dstack sends it.
func Info(tb testing.TB, m tdxtest.Measurements) []byte {
	tb.Helper()
	h := hex.EncodeToString
	sum := sha256.Sum256(appCompose)
	var events bytes.Buffer
	if err := json.Compact(&events, eventLog); err != nil {
		tb.Fatal(err)
	}
	tcb, err := json.Marshal(map[string]any{
		"mrtd": h(m.MRTD[:]), "rtmr0": h(m.RTMRs[0][:]), "rtmr1": h(m.RTMRs[1][:]), "rtmr2": h(m.RTMRs[2][:]), "rtmr3": h(m.RTMRs[3][:]),
		"app_compose": string(appCompose), "compose_hash": h(sum[:]), "event_log": json.RawMessage(events.Bytes()),
	})
	if err != nil {
		tb.Fatal(err)
	}
	info, err := json.Marshal(map[string]any{
		"app_id": h(sum[:20]), "instance_id": "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e", "app_name": "confidant",
		"compose_hash": h(sum[:]), "tcb_info": string(tcb), "os_image_hash": h(bytes.Repeat([]byte{7}, 32)),
		"device_id": h(bytes.Repeat([]byte{9}, 32)),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return info
}

// MintedReport is a report like HardwareReport whose quote signer minted
// over the identity (address under algo) and nonce: its chain verifies to
// signer.Roots(), so a Verifier with evidence.TDXQuotes{Roots:
// signer.Roots()} and FakeNRAS finds it green — and with Intel's roots,
// red.
func MintedReport(tb testing.TB, signer *tdxtest.Signer, algo signing.Algo, address string, nonce [32]byte) signing.Report {
	tb.Helper()
	id, err := signing.Identity(algo, address)
	if err != nil {
		tb.Fatal(err)
	}
	rd, err := signing.ReportData(id, nonce)
	if err != nil {
		tb.Fatal(err)
	}
	m := Measurements(tb)
	var events bytes.Buffer
	if err := json.Compact(&events, eventLog); err != nil {
		tb.Fatal(err)
	}
	h := hex.EncodeToString
	return signing.Report{
		SigningAddress: address, SigningAlgo: algo, RequestNonce: h(nonce[:]),
		IntelQuote: h(signer.Quote(rd, m)), NvidiaPayload: string(GPUPayload(nonce)), EventLog: events.String(), Info: Info(tb, m),
	}
}

// MintedBackend wraps a simulated backend so that its attestation reports
// carry quotes minted by signer for its signing keys, with GPU evidence
// for FakeNRAS: a backend that, to a Verifier trusting signer's root,
// looks like a verified H100 node. Everything else is the simulator's.
func MintedBackend(tb testing.TB, signer *tdxtest.Signer, sim *simbackend.Server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/attestation/report" {
			sim.ServeHTTP(w, r)
			return
		}
		q := r.URL.Query()
		algo, err := signing.ParseAlgo(q.Get("signing_algo"))
		nonce, nerr := signing.ParseNonce(q.Get("nonce"))
		if err != nil || nerr != nil {
			http.Error(w, "bad signing_algo or nonce", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(MintedReport(tb, signer, algo, sim.SigningAddress(algo), nonce))
	})
}
