package evidence

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Allowlist pins what a report may show: measurements, compose hashes, app
// ids and container image digests. Each key may be listed several times;
// a report passes when, for every key the allowlist names, its value is
// one of those listed (every image of its compose file, for "image").
//
// Its text form (CONFIDANT_BACKEND_ALLOW, `confidant verify --allow`) is
// comma- or whitespace-separated key=value entries:
//
//	mrtd=<48 bytes hex>  rtmr0=… rtmr1=… rtmr2=… rtmr3=<48 bytes hex>
//	compose_hash=<32 bytes hex>  app_id=<20 bytes hex>  image=sha256:<32 bytes hex>
type Allowlist struct {
	values map[string][]string // key → lowercase hex (image: "sha256:hex")
}

// allowKeys returns the keys an allowlist may name, in the order they are
// checked and printed.
func allowKeys() []string {
	return []string{"mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3", "compose_hash", "app_id", "image"}
}

// allowKeySize returns the size in bytes of a key's values, or 0 for an
// unknown key.
func allowKeySize(key string) int {
	switch key {
	case "mrtd", "rtmr0", "rtmr1", "rtmr2", "rtmr3":
		return 48
	case "compose_hash", "image":
		return 32
	case "app_id":
		return 20
	}
	return 0
}

// ParseAllowlist parses the text form; the empty string is the empty
// allowlist.
func ParseAllowlist(spec string) (Allowlist, error) {
	a := Allowlist{values: map[string][]string{}}
	fields := strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' })
	for _, f := range fields {
		key, val, ok := strings.Cut(f, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		size := allowKeySize(key)
		if !ok || size == 0 {
			return Allowlist{}, fmt.Errorf("%w: allowlist entry %q: want key=value with key one of %s", ErrMalformed, truncate(f, 40), strings.Join(allowKeys(), ", "))
		}
		val = strings.ToLower(strings.TrimSpace(val))
		hexPart := strings.TrimPrefix(val, "0x")
		if key == "image" {
			if !strings.HasPrefix(val, "sha256:") {
				return Allowlist{}, fmt.Errorf("%w: allowlist image %q: want sha256:<64 hex digits>", ErrMalformed, truncate(val, 40))
			}
			hexPart = strings.TrimPrefix(val, "sha256:")
		}
		if b, err := hex.DecodeString(hexPart); err != nil || len(b) != size {
			return Allowlist{}, fmt.Errorf("%w: allowlist %s: want %d bytes of hex", ErrMalformed, key, size)
		}
		if key != "image" {
			val = hexPart
		}
		if !slices.Contains(a.values[key], val) {
			a.values[key] = append(a.values[key], val)
		}
	}
	return a, nil
}

// Empty reports whether the allowlist pins nothing.
func (a Allowlist) Empty() bool { return len(a.values) == 0 }

// String returns the text form.
func (a Allowlist) String() string {
	var out []string
	for _, k := range allowKeys() {
		for _, v := range a.values[k] {
			out = append(out, k+"="+v)
		}
	}
	return strings.Join(out, ",")
}

// check compares the report's measurements and images with the allowlist.
func (a Allowlist) check(q quoteResult, info reportInfo, infoErr error) Check {
	c := Check{Name: "allowlist", Status: Fail}
	if a.Empty() {
		c.Status, c.Detail = Skipped, "no allowlist configured"
		return c
	}
	var pinned []string
	for _, key := range allowKeys() {
		allowed := a.values[key]
		if len(allowed) == 0 {
			continue
		}
		if key == "image" {
			n, detail := a.checkImages(info, infoErr)
			if detail != "" {
				c.Detail = detail
				return c
			}
			pinned = append(pinned, fmt.Sprintf("%d image(s)", n))
			continue
		}
		got, err := reportValue(key, q, info, infoErr)
		if err != nil {
			c.Detail = fmt.Sprintf("cannot compare %s with the allowlist: %s", key, plain(err))
			return c
		}
		if !slices.Contains(allowed, got) {
			c.Detail = fmt.Sprintf("%s %s is not in the allowlist", key, got)
			return c
		}
		pinned = append(pinned, key)
	}
	c.Status, c.Detail = Pass, "in the allowlist: "+strings.Join(pinned, ", ")
	return c
}

// checkImages requires every image of the compose file to be pinned by a
// digest the allowlist names. It returns how many images passed, or why
// they did not.
func (a Allowlist) checkImages(info reportInfo, infoErr error) (int, string) {
	if infoErr != nil {
		return 0, "cannot compare images with the allowlist: " + plain(infoErr)
	}
	refs := imageRefs(info.TCB.AppCompose)
	if len(refs) == 0 {
		return 0, "app_compose names no container images to compare with the allowlist"
	}
	for _, ref := range refs {
		d, ok := imageDigest(ref)
		if !ok {
			return 0, fmt.Sprintf("image %s is not pinned by a sha256 digest", ref)
		}
		if !slices.Contains(a.values["image"], d) {
			return 0, fmt.Sprintf("image %s is not in the allowlist", ref)
		}
	}
	return len(refs), ""
}

// reportValue returns the report's value for an allowlist key, lowercase
// hex: measurements from the quote (from info for a simulated report).
func reportValue(key string, q quoteResult, info reportInfo, infoErr error) (string, error) {
	switch key {
	case "compose_hash":
		if sum, ok := info.composeSum(); ok {
			return hex.EncodeToString(sum[:]), nil
		}
		return "", fmt.Errorf("%w: no app_compose", ErrMalformed)
	case "app_id":
		if infoErr != nil {
			return "", infoErr
		}
		b, err := decodeMeasurement(info.AppID, 20, q.simulated)
		return hex.EncodeToString(b), err
	}
	if q.hardware {
		if key == "mrtd" {
			return hex.EncodeToString(q.facts.MRTD), nil
		}
		return hex.EncodeToString(q.facts.RTMRs[key[len(key)-1]-'0']), nil
	}
	if !q.simulated {
		return "", fmt.Errorf("%w: no readable quote", ErrMalformed)
	}
	if infoErr != nil {
		return "", infoErr
	}
	byKey := map[string]string{"mrtd": info.TCB.MRTD, "rtmr0": info.TCB.RTMR0, "rtmr1": info.TCB.RTMR1, "rtmr2": info.TCB.RTMR2, "rtmr3": info.TCB.RTMR3}
	b, err := decodeMeasurement(byKey[key], 48, true)
	return hex.EncodeToString(b), err
}
