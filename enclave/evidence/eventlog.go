package evidence

import (
	"bytes"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"confidant/inference/signing"
)

// RuntimeEventType is the event type of dstack's runtime events in RTMR3.
const RuntimeEventType = 0x08000001

// Event is one entry of a dstack event log.
type Event struct {
	IMR       uint32 `json:"imr"`
	EventType uint32 `json:"event_type"`
	Digest    string `json:"digest"` // hex; dstack may omit it for RTMR3 events
	Name      string `json:"event"`
	Payload   string `json:"event_payload"` // hex
}

// ParseEventLog decodes an event log given as a JSON array or as a JSON
// string holding one. Empty input and null are an empty log.
func ParseEventLog(raw []byte) ([]Event, error) {
	raw = unquoteJSON(bytes.TrimSpace(raw))
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var events []Event
	if err := json.Unmarshal(raw, &events); err != nil {
		return nil, fmt.Errorf("%w: event log is not a JSON array of events", ErrMalformed)
	}
	return events, nil
}

// RuntimeEventDigest is the digest dstack extends into RTMR3 for an event:
// sha384(le32(type) ‖ ":" ‖ name ‖ ":" ‖ payload).
func RuntimeEventDigest(eventType uint32, name string, payload []byte) [48]byte {
	h := sha512.New384()
	binary.Write(h, binary.LittleEndian, eventType)
	h.Write([]byte(":" + name + ":"))
	h.Write(payload)
	return [48]byte(h.Sum(nil))
}

// ReplayRTMR3 replays the RTMR3 events of a log: mr starts as 48 zero
// bytes and each event extends it, mr = sha384(mr ‖ digest). Each event's
// digest is recomputed from its name and payload and must match the one
// the log states, if any.
func ReplayRTMR3(events []Event) ([48]byte, int, error) {
	var mr [48]byte
	n := 0
	for i, ev := range events {
		if ev.IMR != 3 {
			continue
		}
		payload, err := hex.DecodeString(ev.Payload)
		if err != nil {
			return mr, n, fmt.Errorf("%w: event %d (%s): payload is not hex", ErrMalformed, i, ev.Name)
		}
		d := RuntimeEventDigest(ev.EventType, ev.Name, payload)
		if ev.Digest != "" {
			stated, err := hex.DecodeString(ev.Digest)
			if err != nil || !bytes.Equal(stated, d[:]) {
				return mr, n, fmt.Errorf("%w: event %d (%s): its digest does not match its payload", ErrMeasurementMismatch, i, ev.Name)
			}
		}
		h := sha512.New384()
		h.Write(mr[:])
		h.Write(d[:])
		mr = [48]byte(h.Sum(nil))
		n++
	}
	return mr, n, nil
}

// eventLogText picks the report's event log, or tcb_info's when the
// report's is empty.
func eventLogText(r signing.Report, info reportInfo) []byte {
	s := strings.TrimSpace(r.EventLog)
	if s == "" || s == "[]" || s == "null" || s == `""` {
		return info.TCB.EventLog
	}
	return []byte(s)
}

// checkEventLog replays the RTMR3 events against the quote's RTMR3 (for a
// simulated report, against the rtmr3 its info claims) and checks that
// the measured compose-hash event is the hash of app_compose.
func checkEventLog(r signing.Report, info reportInfo, infoErr error, q quoteResult, facts map[string]string) Check {
	c := Check{Name: "event_log", Status: Fail}
	events, err := ParseEventLog(eventLogText(r, info))
	if err != nil {
		c.Detail = plain(err)
		return c
	}
	mr, n, err := ReplayRTMR3(events)
	if err != nil {
		c.Detail = plain(err)
		return c
	}
	facts["event_log_rtmr3_events"] = fmt.Sprint(n)
	var target []byte
	var source string
	switch {
	case q.hardware:
		target, source = q.facts.RTMRs[3], "the quote's RTMR3"
	case q.simulated && n == 0:
		c.Status, c.Detail = Skipped, "simulated enclave: no event log to replay"
		return c
	case q.simulated:
		if infoErr != nil {
			c.Detail = "no rtmr3 to replay against: " + plain(infoErr)
			return c
		}
		if target, err = decodeMeasurement(info.TCB.RTMR3, 48, true); err != nil {
			c.Detail = "info's rtmr3: " + plain(err)
			return c
		}
		source = "info's rtmr3 (simulated: no hardware register)"
	default:
		c.Status, c.Detail = Skipped, "no readable quote to replay the event log against"
		return c
	}
	if !bytes.Equal(mr[:], target) {
		c.Detail = fmt.Sprintf("replaying %d RTMR3 events gives %x, but %s is %x", n, mr, source, target)
		return c
	}
	measured, found, err := composeEvent(events)
	switch {
	case err != nil:
		c.Detail = plain(err)
		return c
	case !found:
		c.Detail = "the event log measures no compose-hash event, so RTMR3 does not pin the app's code"
		return c
	}
	if sum, ok := info.composeSum(); ok && measured != sum {
		c.Detail = fmt.Sprintf("the measured compose-hash event is %x, but app_compose hashes to %x", measured, sum)
		return c
	}
	if detail := checkAppIDEvent(events, info, q.simulated); detail != "" {
		c.Detail = detail
		return c
	}
	c.Status = Pass
	c.Detail = fmt.Sprintf("%d RTMR3 events replay to %s, and the measured compose hash is %x", n, source, measured)
	return c
}

// checkAppIDEvent checks that the app id the info claims is the one RTMR3
// measured, when both are there; it returns why not, or "".
func checkAppIDEvent(events []Event, info reportInfo, simulated bool) string {
	if info.AppID == "" {
		return ""
	}
	claimed, err := decodeMeasurement(info.AppID, 20, simulated)
	if err != nil {
		return "info's app_id: " + plain(err)
	}
	for _, ev := range events {
		if ev.IMR == 3 && ev.Name == "app-id" && !strings.EqualFold(ev.Payload, hex.EncodeToString(claimed)) {
			return fmt.Sprintf("the measured app-id event is %s, but info claims app_id %x", truncate(ev.Payload, 40), claimed)
		}
	}
	return ""
}

// composeEvent returns the payload of the RTMR3 compose-hash event; a log
// with two that differ is refused.
func composeEvent(events []Event) ([32]byte, bool, error) {
	var out [32]byte
	found := false
	for _, ev := range events {
		if ev.IMR != 3 || ev.Name != "compose-hash" {
			continue
		}
		b, err := hex.DecodeString(ev.Payload)
		if err != nil || len(b) != 32 {
			return out, false, fmt.Errorf("%w: the compose-hash event's payload is not 32 bytes", ErrMalformed)
		}
		if found && [32]byte(b) != out {
			return out, false, fmt.Errorf("%w: the event log measures two different compose hashes", ErrMeasurementMismatch)
		}
		out, found = [32]byte(b), true
	}
	return out, found, nil
}
