package evidence_test

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"confidant/enclave/evidence"
	"confidant/enclave/evidence/evidencetest"
)

func TestReplayRTMR3MatchesIndependentVector(t *testing.T) {
	raw, want := evidencetest.EventLog(), evidencetest.EventLogExpected(t)
	asString, _ := json.Marshal(string(raw))
	for name, in := range map[string][]byte{"array": raw, "JSON string": asString} {
		t.Run(name, func(t *testing.T) {
			events, err := evidence.ParseEventLog(in)
			if err != nil {
				t.Fatal(err)
			}
			mr, n, err := evidence.ReplayRTMR3(events)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(mr[:]) != want.RTMR3 || n != want.RTMR3Events {
				t.Errorf("replay = %x over %d events, want %s over %d", mr, n, want.RTMR3, want.RTMR3Events)
			}
		})
	}
}

func TestReplayRTMR3Refuses(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(ev []evidence.Event)
		wantErr error
	}{
		{"payload changed under its digest", func(ev []evidence.Event) { ev[2].Payload = "00" + ev[2].Payload[2:] }, evidence.ErrMeasurementMismatch},
		{"digest changed", func(ev []evidence.Event) { ev[1].Digest = ev[2].Digest }, evidence.ErrMeasurementMismatch},
		{"payload not hex", func(ev []evidence.Event) { ev[3].Payload = "zz" }, evidence.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := evidence.ParseEventLog(evidencetest.EventLog())
			if err != nil {
				t.Fatal(err)
			}
			tt.edit(events)
			if _, _, err := evidence.ReplayRTMR3(events); !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestParseEventLogForms(t *testing.T) {
	tests := []struct {
		in      string
		n       int
		wantErr bool
	}{
		{``, 0, false},
		{`null`, 0, false},
		{`[]`, 0, false},
		{`"[]"`, 0, false},
		{`[{"imr":3,"event_type":134217729,"event":"x","event_payload":""}]`, 1, false},
		{strconv.Quote(`[{"imr":3,"event_type":134217729,"event":"x","event_payload":""}]`), 1, false},
		{`{"imr":3}`, 0, true},
		{`"not an array"`, 0, true},
		{`[1,2]`, 0, true},
	}
	for _, tt := range tests {
		events, err := evidence.ParseEventLog([]byte(tt.in))
		if (err != nil) != tt.wantErr || len(events) != tt.n {
			t.Errorf("ParseEventLog(%s) = %d events, %v", tt.in, len(events), err)
		}
	}
}
