package evidence

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"testing"
)

// eventLogFixture returns testdata/event_log.json and what an independent
// implementation (testdata/gen_event_log.py) says it replays to.
func eventLogFixture(t *testing.T) (raw []byte, rtmr3 string, composeHash string) {
	t.Helper()
	raw, err := os.ReadFile("testdata/event_log.json")
	if err != nil {
		t.Fatal(err)
	}
	expRaw, err := os.ReadFile("testdata/event_log.expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		RTMR3       string `json:"rtmr3"`
		ComposeHash string `json:"compose_hash"`
	}
	if err := json.Unmarshal(expRaw, &exp); err != nil {
		t.Fatal(err)
	}
	return raw, exp.RTMR3, exp.ComposeHash
}

func TestReplayRTMR3MatchesIndependentVector(t *testing.T) {
	raw, want, _ := eventLogFixture(t)
	asString, _ := json.Marshal(string(raw))
	for name, in := range map[string][]byte{"array": raw, "JSON string": asString} {
		t.Run(name, func(t *testing.T) {
			events, err := ParseEventLog(in)
			if err != nil {
				t.Fatal(err)
			}
			mr, n, err := ReplayRTMR3(events)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(mr[:]) != want || n != 6 {
				t.Errorf("replay = %x over %d events, want %s over 6", mr, n, want)
			}
		})
	}
}

func TestReplayRTMR3Refuses(t *testing.T) {
	raw, _, _ := eventLogFixture(t)
	tests := []struct {
		name    string
		edit    func(ev []Event)
		wantErr error
	}{
		{"payload changed under its digest", func(ev []Event) { ev[2].Payload = "00" + ev[2].Payload[2:] }, ErrMeasurementMismatch},
		{"digest changed", func(ev []Event) { ev[1].Digest = ev[2].Digest }, ErrMeasurementMismatch},
		{"payload not hex", func(ev []Event) { ev[3].Payload = "zz" }, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := ParseEventLog(raw)
			if err != nil {
				t.Fatal(err)
			}
			tt.edit(events)
			if _, _, err := ReplayRTMR3(events); !errors.Is(err, tt.wantErr) {
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
		events, err := ParseEventLog([]byte(tt.in))
		if (err != nil) != tt.wantErr || len(events) != tt.n {
			t.Errorf("ParseEventLog(%s) = %d events, %v", tt.in, len(events), err)
		}
	}
}
