package enclave

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Compile-time checks that both providers implement Provider.
var (
	_ Provider = (*Dstack)(nil)
	_ Provider = (*Simulated)(nil)
)

func newTestDstack(t *testing.T, agent *fakeAgent) *Dstack {
	t.Helper()
	d, err := NewDstack(serveUnix(t, agent), nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDstackInfo(t *testing.T) {
	d := newTestDstack(t, newFakeAgent(t))
	got, err := d.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/dstack/info_expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var want Info
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	gotRaw := got.Raw
	got.Raw = nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Info =\n%+v\nwant\n%+v", got, want)
	}
	var probe map[string]any
	if err := json.Unmarshal(gotRaw, &probe); err != nil || probe["tcb_info"] == nil {
		t.Fatalf("Raw is not the /Info answer: %v", err)
	}
	if d.Kind() != KindDstack {
		t.Fatalf("Kind = %q", d.Kind())
	}
}

func TestDstackQuote(t *testing.T) {
	agent := newFakeAgent(t)
	d := newTestDstack(t, agent)
	var rd [64]byte
	copy(rd[:], "report data bound into the quote")
	q, err := d.Quote(context.Background(), rd)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(q.Raw, realQuote()) {
		t.Fatal("quote bytes differ from what the agent sent")
	}
	if !strings.Contains(q.EventLog, "system-ready") {
		t.Fatalf("event log = %q", q.EventLog)
	}
	if _, lq := agent.last(); lq.ReportData != hex.EncodeToString(rd[:]) {
		t.Fatalf("sent report_data %q", lq.ReportData)
	}
	agent.setBadEcho()
	if _, err := d.Quote(context.Background(), rd); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("mismatched echo: err = %v", err)
	}
}

func TestDstackDeriveKey(t *testing.T) {
	agent := newFakeAgent(t)
	d := newTestDstack(t, agent)
	key, err := d.DeriveKey(context.Background(), "confidant/root/v1")
	if err != nil {
		t.Fatal(err)
	}
	var want getKeyResponse
	if err := json.Unmarshal(agent.getKey, &want); err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(key) != want.Key {
		t.Fatalf("key = %x", key)
	}
	if lk, _ := agent.last(); lk != (getKeyRequest{Path: "confidant/root/v1", Purpose: keyPurpose, Algorithm: keyAlgorithm}) {
		t.Fatalf("request = %+v", lk)
	}
	if _, err := d.DeriveKey(context.Background(), ""); !errors.Is(err, ErrInvalidPath) {
		t.Fatalf("empty path: err = %v", err)
	}
}

func TestDstackAgentErrors(t *testing.T) {
	raw, err := os.ReadFile("testdata/dstack/error_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Name    string `json:"name"`
		Method  string `json:"method"`
		Status  int    `json:"status"`
		Body    string `json:"body"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			agent := newFakeAgent(t)
			agent.failures[tc.Method] = agentFailure{tc.Status, tc.Body}
			d := newTestDstack(t, agent)
			ctx := context.Background()
			switch tc.Method {
			case "GetQuote":
				_, err = d.Quote(ctx, [64]byte{})
			case "GetKey":
				_, err = d.DeriveKey(ctx, "p")
			case "Info":
				_, err = d.Info(ctx)
			}
			if !errors.Is(err, ErrAgent) {
				t.Fatalf("err = %v, want ErrAgent", err)
			}
			var ae *AgentError
			if !errors.As(err, &ae) || ae.Status != tc.Status || ae.Message != tc.Message || ae.Method != tc.Method {
				t.Fatalf("AgentError = %+v", ae)
			}
		})
	}
}

func TestDstackBadResponses(t *testing.T) {
	tests := []struct {
		name   string
		method string
		body   string
	}{
		{"info not json", "Info", "not json"},
		{"info without tcb_info", "Info", `{"app_id":"ab"}`},
		{"tcb_info not json", "Info", `{"app_id":"ab","tcb_info":"{"}`},
		{"info without mrtd", "Info", `{"app_id":"ab","tcb_info":"{}"}`},
		{"key not hex", "GetKey", `{"key":"zz"}`},
		{"key too short", "GetKey", `{"key":"abcd"}`},
		{"quote not hex", "GetQuote", `{"quote":"xyz"}`},
		{"quote empty", "GetQuote", `{"quote":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			agent := newFakeAgent(t)
			agent.failures[tt.method] = agentFailure{http.StatusOK, tt.body}
			d := newTestDstack(t, agent)
			var err error
			switch tt.method {
			case "GetQuote":
				_, err = d.Quote(context.Background(), [64]byte{})
			case "GetKey":
				_, err = d.DeriveKey(context.Background(), "p")
			case "Info":
				_, err = d.Info(context.Background())
			}
			if !errors.Is(err, ErrBadResponse) {
				t.Fatalf("err = %v, want ErrBadResponse", err)
			}
		})
	}
}

func TestDstackHTTPEndpointAndLongError(t *testing.T) {
	agent := newFakeAgent(t)
	agent.failures["GetKey"] = agentFailure{500, `{"error":"` + strings.Repeat("é", 2000) + `"}`}
	srv := httptest.NewServer(agent)
	t.Cleanup(srv.Close)
	d, err := NewDstack(srv.URL+"/", &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Info(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err = d.DeriveKey(context.Background(), "p")
	var ae *AgentError
	if !errors.As(err, &ae) || len([]rune(ae.Message)) != maxErrorText+1 {
		t.Fatalf("err = %v", err)
	}
}

func TestDstackUnavailable(t *testing.T) {
	tests := []struct {
		name     string
		endpoint string
		wantErr  error
	}{
		{"missing socket", "/nonexistent/dstack.sock", ErrUnavailable},
		{"unix scheme", "unix:///nonexistent/dstack.sock", ErrUnavailable},
		{"closed port", "http://127.0.0.1:1", ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDstack(tt.endpoint, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.Info(context.Background()); !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if _, err := NewDstack("", nil); !errors.Is(err, ErrNoDstack) {
		t.Fatalf("empty endpoint: err = %v", err)
	}
}

func TestDstackContextCancelled(t *testing.T) {
	d := newTestDstack(t, newFakeAgent(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Info(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}
