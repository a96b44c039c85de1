package views

import "strings"

// enclaveWords describes an enclave kind.
func enclaveWords(kind string) string {
	switch kind {
	case "dstack":
		return "Intel TDX confidential VM (dstack)"
	case "simulated":
		return "Simulated: development mode, no hardware protection"
	}
	return kind
}

// stateWord names a verdict state.
func stateWord(state string) string {
	switch state {
	case "green":
		return "Verified"
	case "red":
		return "Failed"
	}
	return "Not fully verified"
}

func checkGlyph(status string) string {
	switch status {
	case "pass":
		return "✓"
	case "fail":
		return "✗"
	}
	return "–"
}

func badgeGlyph(state string) string {
	switch state {
	case "green":
		return "✓"
	case "red":
		return "✗"
	}
	return "!"
}

// checkName turns a check id ("report_data") into words.
func checkName(name string) string {
	switch name {
	case "tdx_quote":
		return "TDX quote"
	case "report_data":
		return "Key and nonce binding"
	case "gpu", "nvidia_gpu", "gpu_evidence":
		return "NVIDIA GPU evidence"
	case "compose_hash":
		return "Compose hash"
	case "event_log":
		return "Event log replay"
	case "measurements":
		return "Measurements"
	case "report":
		return "Attestation report"
	case "nonce":
		return "Fresh nonce"
	case "tcb_status":
		return "TCB status"
	case "allowlist":
		return "Pinned measurements"
	}
	return capitalizeFirst(strings.ReplaceAll(name, "_", " "))
}

func capitalizeFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// withoutClickHint drops the shield title's "Click for …" sentence, for
// the page the click leads to.
func withoutClickHint(title string) string {
	if i := strings.Index(title, " Click for"); i >= 0 {
		return title[:i]
	}
	return title
}
