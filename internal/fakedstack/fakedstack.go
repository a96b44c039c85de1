// Package fakedstack stands in for the dstack guest agent in tests. It
// speaks the agent's JSON RPC over HTTP (point DSTACK_SIMULATOR_ENDPOINT at
// it) and answers GetQuote with TDX quotes minted by a tdxtest.Signer over
// the measurements of evidencetest's app: the app under test then runs as
// if on TDX hardware whose root only the test trusts.
package fakedstack

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"confidant/enclave/evidence/evidencetest"
	"confidant/enclave/tdx/tdxtest"
)

// Start serves a fake agent until the test ends and returns its URL.
func Start(tb testing.TB, signer *tdxtest.Signer) string {
	tb.Helper()
	m := evidencetest.Measurements(tb)
	info := evidencetest.Info(tb, m)
	events := strings.Join(strings.Fields(string(evidencetest.EventLog())), "")
	root := sha256.Sum256([]byte("fakedstack app key"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ReportData string `json:"report_data"`
			Path       string `json:"path"`
		}
		if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil {
			fail(w, http.StatusBadRequest, "want POST with a JSON body")
			return
		}
		switch strings.TrimPrefix(r.URL.Path, "/") {
		case "Info":
			w.Write(info)
		case "GetKey":
			key, err := hkdf.Key(sha256.New, root[:], []byte("RATLS"), req.Path, 32)
			if err != nil || req.Path == "" {
				fail(w, http.StatusBadRequest, "bad GetKey request")
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"key": hex.EncodeToString(key), "signature_chain": []string{}})
		case "GetQuote":
			raw, err := hex.DecodeString(req.ReportData)
			if err != nil || len(raw) > 64 {
				fail(w, http.StatusBadRequest, "report_data must be at most 64 hex bytes")
				return
			}
			var rd [64]byte
			copy(rd[:], raw)
			json.NewEncoder(w).Encode(map[string]string{
				"quote": hex.EncodeToString(signer.Quote(rd, m)), "event_log": events,
				"report_data": hex.EncodeToString(rd[:]), "vm_config": `{"spec_version":1}`,
			})
		default:
			fail(w, http.StatusNotFound, "no such method")
		}
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

func fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
