package evidence_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"confidant/enclave/evidence"
	"confidant/enclave/evidence/evidencetest"
	"confidant/inference/signing"
)

func TestVerifyGateway(t *testing.T) {
	url := simServer(t)
	var nonce [32]byte
	rand.Read(nonce[:])
	sim := func() signing.Report { return fetchReport(t, url, nonce, signing.ECDSA) }
	app := sim()
	app.NvidiaPayload = "" // Confidant itself runs no GPU work
	hw := evidencetest.HardwareReport(t, evidencetest.Key(t, "node"), nonce)
	stale := fetchReport(t, url, [32]byte{1}, signing.ECDSA) // bound to another nonce

	v := evidence.New(evidence.Config{Quotes: evidencetest.StructureOnlyQuotes{TCBStatus: "UpToDate"}})
	tests := []struct {
		name      string
		answer    evidence.GatewayAnswer
		want      evidence.State
		simulated bool
		failedIn  string
	}{
		{"simulated app and backends", evidence.GatewayAnswer{Gateway: app, Models: []signing.Report{sim(), sim()}}, evidence.Amber, true, ""},
		{"app without backends", evidence.GatewayAnswer{Gateway: app}, evidence.Amber, true, ""},
		{"a replayed backend report", evidence.GatewayAnswer{Gateway: app, Models: []signing.Report{sim(), stale}}, evidence.Red, true, "model 2"},
		{"a broken gateway report", evidence.GatewayAnswer{Gateway: signing.Report{}, Models: []signing.Report{hw}}, evidence.Red, false, "gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := v.VerifyGateway(context.Background(), tt.answer, nonce)
			if g.State != tt.want || g.Simulated != tt.simulated || len(g.Models) != len(tt.answer.Models) {
				t.Fatalf("verdict %s simulated %v with %d models", g.State, g.Simulated, len(g.Models))
			}
			where, c, failed := g.Failed()
			if failed != (tt.failedIn != "") || where != tt.failedIn {
				t.Fatalf("Failed() = %q %+v %v, want in %q", where, c, failed, tt.failedIn)
			}
			if slices.ContainsFunc(g.Gateway.Checks, func(c evidence.Check) bool { return c.Name == "gpu" }) && tt.answer.Gateway.NvidiaPayload == "" {
				t.Error("the gateway report without GPU evidence got a gpu check")
			}
		})
	}
}

func TestParseAnswer(t *testing.T) {
	url := simServer(t)
	r := fetchReport(t, url, [32]byte{}, signing.ECDSA)
	report, _ := json.Marshal(r)
	// The same report with event_log as a JSON array rather than a string.
	var m map[string]any
	json.Unmarshal(report, &m)
	m["event_log"] = []any{map[string]any{"imr": 3, "event_type": evidence.RuntimeEventType, "event": "x", "event_payload": ""}}
	arrayLog, _ := json.Marshal(m)

	tests := []struct {
		name     string
		in       string
		gateway  bool
		models   int
		eventLog string
		wantErr  bool
	}{
		{name: "single report", in: string(report), models: 1, eventLog: r.EventLog},
		{name: "gateway answer", in: `{"gateway_attestation":` + string(report) + `,"model_attestations":[` + string(report) + `,` + string(arrayLog) + `]}`, gateway: true, models: 2, eventLog: r.EventLog},
		{name: "event log as an array", in: string(arrayLog), models: 1, eventLog: `[{"event":"x","event_payload":"","event_type":134217729,"imr":3}]`},
		{name: "not JSON", in: `<html>`, wantErr: true},
		{name: "not a report", in: `{"error":{"message":"nope"}}`, wantErr: true},
		{name: "bad model report", in: `{"gateway_attestation":` + string(report) + `,"model_attestations":[{"intel_quote":5}]}`, gateway: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, gateway, err := evidence.ParseAnswer([]byte(tt.in))
			if tt.wantErr {
				if !errors.Is(err, evidence.ErrNotReport) {
					t.Fatalf("err = %v, want ErrNotReport", err)
				}
				return
			}
			if err != nil || gateway != tt.gateway || len(a.Models) != tt.models {
				t.Fatalf("ParseAnswer = %d models, gateway %v, %v", len(a.Models), gateway, err)
			}
			got := a.Models[0].EventLog
			if gateway {
				got = a.Gateway.EventLog
			}
			if strings.TrimSpace(got) != tt.eventLog {
				t.Errorf("event_log = %q, want %q", got, tt.eventLog)
			}
		})
	}
}
