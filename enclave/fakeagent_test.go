package enclave

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// agentFailure makes the fake agent answer one method with an error.
type agentFailure struct {
	status int
	body   string
}

// fakeAgent speaks the dstack guest agent's JSON RPC: POST /<Method> with a
// JSON body, answers 200 with JSON or 400/500 with {"error": "..."}.
type fakeAgent struct {
	info      []byte
	getKey    []byte
	quote     []byte
	badEcho   bool // echo report data that differs from the request
	failures  map[string]agentFailure
	mu        sync.Mutex
	lastKey   getKeyRequest
	lastQuote getQuoteRequest
}

func newFakeAgent(t *testing.T) *fakeAgent {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "dstack", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return &fakeAgent{
		info:     read("info.json"),
		getKey:   read("getkey.json"),
		quote:    realQuote(),
		failures: map[string]agentFailure{},
	}
}

func (f *fakeAgent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/")
	f.mu.Lock()
	fail, failing := f.failures[method]
	f.mu.Unlock()
	if r.Method != http.MethodPost {
		writeAgentError(w, http.StatusMethodNotAllowed, "POST only")
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeAgentError(w, http.StatusBadRequest, "want a JSON body")
		return
	}
	if failing {
		w.WriteHeader(fail.status)
		w.Write([]byte(fail.body))
		return
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	switch method {
	case "Info":
		var req struct{}
		if err := dec.Decode(&req); err != nil {
			writeAgentError(w, http.StatusBadRequest, err.Error())
			return
		}
		w.Write(f.info)
	case "GetKey":
		var req getKeyRequest
		if err := dec.Decode(&req); err != nil || req.Path == "" {
			writeAgentError(w, http.StatusBadRequest, "bad GetKey request")
			return
		}
		f.mu.Lock()
		f.lastKey = req
		f.mu.Unlock()
		w.Write(f.getKey)
	case "GetQuote":
		var req getQuoteRequest
		if err := dec.Decode(&req); err != nil {
			writeAgentError(w, http.StatusBadRequest, err.Error())
			return
		}
		if rd, err := hex.DecodeString(req.ReportData); err != nil || len(rd) > 64 {
			writeAgentError(w, http.StatusBadRequest, "report_data must be at most 64 hex bytes")
			return
		}
		f.mu.Lock()
		f.lastQuote = req
		echo := req.ReportData
		if f.badEcho {
			echo = strings.Repeat("ff", 64)
		}
		f.mu.Unlock()
		json.NewEncoder(w).Encode(getQuoteResponse{
			Quote:      hex.EncodeToString(f.quote),
			EventLog:   `[{"imr":3,"event_type":134217729,"digest":"00","event":"system-ready","event_payload":""}]`,
			ReportData: echo,
			VMConfig:   `{"spec_version":1}`,
		})
	default:
		writeAgentError(w, http.StatusNotFound, "no such method: "+method)
	}
}

// last returns the most recent GetKey and GetQuote requests.
func (f *fakeAgent) last() (getKeyRequest, getQuoteRequest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastKey, f.lastQuote
}

// setBadEcho makes GetQuote echo report data other than the request's.
func (f *fakeAgent) setBadEcho() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.badEcho = true
}

func writeAgentError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// serveUnix serves h on a unix socket in a short temporary directory (socket
// paths are limited to about 100 bytes) and returns the socket path.
func serveUnix(t *testing.T, h http.Handler) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dstk")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "dstack.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("fake agent: %v", err)
		}
	}()
	t.Cleanup(func() { srv.Close() })
	return path
}
