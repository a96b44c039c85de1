package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// simPrefix marks identities and measurements in simulated reports.
const simPrefix = "simulated-"

// reportInfo is the part of dstack's Info the checks read.
type reportInfo struct {
	AppID       string `json:"app_id"`
	AppName     string `json:"app_name"`
	InstanceID  string `json:"instance_id"`
	ComposeHash string `json:"compose_hash"`
	OSImageHash string `json:"os_image_hash"`
	TCB         tcbInfo
}

// tcbInfo is dstack's tcb_info.
type tcbInfo struct {
	MRTD        string          `json:"mrtd"`
	RTMR0       string          `json:"rtmr0"`
	RTMR1       string          `json:"rtmr1"`
	RTMR2       string          `json:"rtmr2"`
	RTMR3       string          `json:"rtmr3"`
	AppCompose  string          `json:"app_compose"`
	ComposeHash string          `json:"compose_hash"`
	OSImageHash string          `json:"os_image_hash"`
	EventLog    json.RawMessage `json:"event_log"`
}

// parseInfo decodes a report's info; its tcb_info may be an object or a
// JSON string holding one.
func parseInfo(raw json.RawMessage) (reportInfo, error) {
	var info reportInfo
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return info, fmt.Errorf("%w: the report carries no info", ErrMalformed)
	}
	var wire struct {
		reportInfo
		TCBInfo json.RawMessage `json:"tcb_info"`
	}
	if err := json.Unmarshal(unquoteJSON(raw), &wire); err != nil {
		return info, fmt.Errorf("%w: info is not a JSON object", ErrMalformed)
	}
	info = wire.reportInfo
	if len(wire.TCBInfo) == 0 || string(wire.TCBInfo) == "null" {
		return info, fmt.Errorf("%w: info carries no tcb_info", ErrMalformed)
	}
	if err := json.Unmarshal(unquoteJSON(wire.TCBInfo), &info.TCB); err != nil {
		return info, fmt.Errorf("%w: tcb_info is not a JSON object", ErrMalformed)
	}
	return info, nil
}

// unquoteJSON returns the JSON text inside raw when raw is a JSON string,
// else raw itself.
func unquoteJSON(raw json.RawMessage) []byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return []byte(s)
		}
	}
	return raw
}

// record adds what the info shows to facts; measurements the quote
// already gave are kept.
func (info reportInfo) record(facts map[string]string) {
	set := func(k, v string) {
		if _, ok := facts[k]; !ok && v != "" {
			facts[k] = v
		}
	}
	set("app_id", info.AppID)
	set("app_name", info.AppName)
	set("instance_id", info.InstanceID)
	set("compose_hash", firstNonEmpty(info.ComposeHash, info.TCB.ComposeHash))
	set("os_image_hash", firstNonEmpty(info.OSImageHash, info.TCB.OSImageHash))
	if images := imageRefs(info.TCB.AppCompose); len(images) > 0 {
		set("images", strings.Join(images, ", "))
	}
}

// composeSum returns sha256(app_compose), the compose hash dstack measures.
func (info reportInfo) composeSum() ([32]byte, bool) {
	if info.TCB.AppCompose == "" {
		return [32]byte{}, false
	}
	return sha256.Sum256([]byte(info.TCB.AppCompose)), true
}

// checkCompose checks that compose_hash = sha256(app_compose) and that the
// quote's mr_config_id commits to it: 0x01 ‖ hash, zero-padded to 48 bytes.
func checkCompose(info reportInfo, infoErr error, q quoteResult) Check {
	c := Check{Name: "compose_hash", Status: Fail}
	if infoErr != nil {
		c.Detail = plain(infoErr)
		return c
	}
	sum, ok := info.composeSum()
	if !ok {
		c.Detail = "info carries no app_compose, so the code it runs cannot be identified"
		return c
	}
	claimed, err := claimedComposeHash(info, q.simulated)
	if err != nil {
		c.Detail = plain(err)
		return c
	}
	if claimed != sum {
		c.Detail = fmt.Sprintf("sha256(app_compose) is %x, but the report claims compose_hash %x", sum, claimed)
		return c
	}
	switch {
	case q.hardware:
		want := make([]byte, 48)
		want[0] = 0x01
		copy(want[1:], sum[:])
		if !bytes.Equal(q.facts.MRConfigID, want) {
			c.Detail = fmt.Sprintf("the quote's mr_config_id %x does not commit to compose hash %x (want 01 ‖ hash ‖ zeros)", q.facts.MRConfigID, sum)
			return c
		}
		c.Status, c.Detail = Pass, fmt.Sprintf("sha256(app_compose) = %x, and the quote's mr_config_id commits to it", sum)
	case q.simulated:
		c.Status, c.Detail = Pass, fmt.Sprintf("sha256(app_compose) = compose_hash %x; a simulated quote has no mr_config_id to commit to it", sum)
	default:
		c.Status, c.Detail = Skipped, fmt.Sprintf("sha256(app_compose) = compose_hash %x, but there is no readable quote to check mr_config_id", sum)
	}
	return c
}

// claimedComposeHash returns the compose hash the info claims; info and
// tcb_info must agree when both carry one. A simulated report's values
// carry the simulated- prefix.
func claimedComposeHash(info reportInfo, simulated bool) ([32]byte, error) {
	var out [32]byte
	a, b := info.ComposeHash, info.TCB.ComposeHash
	if a != "" && b != "" && !strings.EqualFold(a, b) {
		return out, fmt.Errorf("%w: info's compose_hash %s and tcb_info's %s differ", ErrMeasurementMismatch, a, b)
	}
	s := firstNonEmpty(a, b)
	if s == "" {
		return out, fmt.Errorf("%w: info carries no compose_hash", ErrMalformed)
	}
	raw, err := decodeMeasurement(s, 32, simulated)
	if err != nil {
		return out, fmt.Errorf("compose_hash: %w", err)
	}
	return [32]byte(raw), nil
}

// decodeMeasurement decodes hex of n bytes (0x allowed); the simulated-
// prefix is accepted only when the evidence is simulated.
func decodeMeasurement(s string, n int, simulated bool) ([]byte, error) {
	if simulated {
		s = strings.TrimPrefix(s, simPrefix)
	}
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil || len(b) != n {
		return nil, fmt.Errorf("%w: %q is not %d bytes of hex", ErrMalformed, truncate(s, 24), n)
	}
	return b, nil
}

// imageLine finds the image of each service in a compose file.
var imageLine = regexp.MustCompile(`(?m)^\s*image:\s*["']?([^\s"'#]+)`)

// imageRefs returns the container images app_compose's compose file names,
// sorted and without duplicates ("repo@sha256:…" when pinned by digest).
func imageRefs(appCompose string) []string {
	if appCompose == "" {
		return nil
	}
	text := appCompose
	var ac struct {
		DockerComposeFile string `json:"docker_compose_file"`
	}
	if json.Unmarshal([]byte(appCompose), &ac) == nil && ac.DockerComposeFile != "" {
		text = ac.DockerComposeFile
	}
	var out []string
	for _, m := range imageLine.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// imageDigest returns the "sha256:…" digest an image reference is pinned
// to, if any.
func imageDigest(ref string) (string, bool) {
	_, d, ok := strings.Cut(ref, "@")
	if !ok || !strings.HasPrefix(d, "sha256:") || len(d) != len("sha256:")+64 {
		return "", false
	}
	if _, err := hex.DecodeString(d[len("sha256:"):]); err != nil {
		return "", false
	}
	return strings.ToLower(d), true
}

// plain turns an evidence error into a sentence without package prefixes.
func plain(err error) string {
	s := err.Error()
	for _, sentinel := range []error{ErrMalformed, ErrMeasurementMismatch} {
		if errors.Is(err, sentinel) {
			s = strings.Replace(s, sentinel.Error()+": ", "", 1)
		}
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
