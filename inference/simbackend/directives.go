package simbackend

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Limits on directive values.
const (
	maxDirectiveTokens = 100_000
	maxDirectiveDelay  = 10 * time.Second
)

var errDirective = errors.New("invalid sim directive")

// directives steer one request; nil fields were not given.
type directives struct {
	delay     *time.Duration
	tokens    *int
	failAfter *int
	tool      *toolDirective
}

// toolDirective asks for a call of tool name with JSON object args.
type toolDirective struct {
	name string
	args string
}

// parseDirectives removes every [[sim:…]] from msg and returns the rest,
// trimmed, with the directives it found.
func parseDirectives(msg string) (string, directives, error) {
	const open = "[[sim:"
	var (
		d    directives
		text strings.Builder
	)
	rest := msg
	for {
		i := strings.Index(rest, open)
		if i < 0 {
			text.WriteString(rest)
			break
		}
		text.WriteString(rest[:i])
		body := rest[i+len(open):]
		n, err := d.apply(body)
		if err != nil {
			return "", directives{}, err
		}
		rest = body[n:]
	}
	return strings.TrimSpace(text.String()), d, nil
}

// apply parses one directive body (what follows "[[sim:") and returns how
// many bytes it used, including the closing "]]".
func (d *directives) apply(body string) (int, error) {
	key, _, _ := strings.Cut(body, "=")
	if k, _, ok := strings.Cut(key, "]]"); ok {
		key = k
	}
	key = strings.TrimSpace(key)
	if key == "tool" {
		return d.applyTool(body)
	}
	end := strings.Index(body, "]]")
	if end < 0 {
		return 0, fmt.Errorf("%w: unterminated [[sim:%s", errDirective, key)
	}
	_, value, _ := strings.Cut(body[:end], "=")
	value = strings.TrimSpace(value)
	switch key {
	case "delay":
		v, err := time.ParseDuration(value)
		if err != nil || v < 0 || v > maxDirectiveDelay {
			return 0, fmt.Errorf("%w: delay=%q (want a duration from 0 to %s)", errDirective, value, maxDirectiveDelay)
		}
		d.delay = &v
	case "tokens":
		v, err := strconv.Atoi(value)
		if err != nil || v < 0 || v > maxDirectiveTokens {
			return 0, fmt.Errorf("%w: tokens=%q (want 0 to %d)", errDirective, value, maxDirectiveTokens)
		}
		d.tokens = &v
	case "fail-after":
		v, err := strconv.Atoi(value)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("%w: fail-after=%q (want a count of tokens)", errDirective, value)
		}
		d.failAfter = &v
	default:
		return 0, fmt.Errorf("%w: unknown directive %q", errDirective, key)
	}
	return end + 2, nil
}

// applyTool parses "tool=NAME {json}]]" or "tool=NAME]]".
func (d *directives) applyTool(body string) (int, error) {
	_, after, _ := strings.Cut(body, "=")
	start := len(body) - len(after)
	nameEnd := strings.IndexAny(after, " \t\n]")
	if nameEnd < 0 {
		return 0, fmt.Errorf("%w: unterminated [[sim:tool", errDirective)
	}
	name := after[:nameEnd]
	if !validToolName(name) {
		return 0, fmt.Errorf("%w: tool name %q (want 1 to 64 of A-Z a-z 0-9 _ -)", errDirective, name)
	}
	pos := start + nameEnd
	pos += len(body[pos:]) - len(strings.TrimLeft(body[pos:], " \t\n"))
	args := "{}"
	if !strings.HasPrefix(body[pos:], "]]") {
		if !strings.HasPrefix(body[pos:], "{") {
			return 0, fmt.Errorf("%w: tool arguments must be a JSON object", errDirective)
		}
		dec := json.NewDecoder(strings.NewReader(body[pos:]))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return 0, fmt.Errorf("%w: tool arguments: %w", errDirective, err)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return 0, fmt.Errorf("%w: tool arguments: %w", errDirective, err)
		}
		args = buf.String()
		pos += int(dec.InputOffset())
		pos += len(body[pos:]) - len(strings.TrimLeft(body[pos:], " \t\n"))
	}
	if !strings.HasPrefix(body[pos:], "]]") {
		return 0, fmt.Errorf("%w: unterminated [[sim:tool", errDirective)
	}
	d.tool = &toolDirective{name: name, args: args}
	return pos + 2, nil
}

// validToolName reports whether name is a valid OpenAI function name.
func validToolName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, c := range name {
		ok := c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		if !ok {
			return false
		}
	}
	return true
}
