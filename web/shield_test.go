package web

import (
	"strings"
	"testing"

	"confidant/enclave/evidence"
	"confidant/inference"
)

func TestShieldFor(t *testing.T) {
	verdict := func(backend string, s evidence.State, detail string) inference.BackendVerdict {
		v := evidence.Verdict{State: evidence.Green}
		status := map[evidence.State]evidence.Status{evidence.Green: evidence.Pass, evidence.Amber: evidence.Skipped, evidence.Red: evidence.Fail}[s]
		v.Add(evidence.Check{Name: "tdx_quote", Status: status, Detail: detail})
		return inference.BackendVerdict{Backend: backend, Verdict: v}
	}
	green := verdict("https://a.example", evidence.Green, "ok")
	amber := verdict("https://b.example", evidence.Amber, "no route to NVIDIA")
	red := verdict("https://c.example:8443", evidence.Red, "debug mode enabled")
	tests := []struct {
		name      string
		mode      string
		verdicts  []inference.BackendVerdict
		want      string
		wantTitle string
	}{
		{"real TEE, every backend green", "dstack", []inference.BackendVerdict{green, green}, "green", "every backend verified"},
		{"simulated app, green backends", "simulated", []inference.BackendVerdict{green}, "amber", "Development mode"},
		{"real TEE, nothing verified yet", "dstack", nil, "amber", "not been verified yet"},
		{"real TEE, one backend amber", "dstack", []inference.BackendVerdict{green, amber}, "amber", "b.example: no route to NVIDIA"},
		{"one backend red", "dstack", []inference.BackendVerdict{green, red}, "red", "c.example:8443: debug mode enabled"},
		{"red wins over simulated", "simulated", []inference.BackendVerdict{red}, "red", "debug mode enabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := shieldFor(tt.mode, tt.verdicts)
			if got.State != tt.want || !strings.Contains(got.Title, tt.wantTitle) {
				t.Fatalf("shield = %+v, want %s with %q", got, tt.want, tt.wantTitle)
			}
		})
	}
}
