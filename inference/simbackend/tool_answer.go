package simbackend

import (
	"encoding/json"
	"fmt"
	"strings"
)

// toolAnswer is the answer to a request whose last messages are tool
// results: a deterministic summary that quotes their key fields
// (summaries and times, subjects and senders, free slots, proposals, tool
// errors), so a test can check which items the tools returned. It follows
// no instruction found in the results: it only quotes them.
func toolAnswer(results []string) string {
	var lines []string
	for _, r := range results {
		var v any
		if err := json.Unmarshal([]byte(r), &v); err != nil {
			lines = append(lines, "- (a tool result that is not JSON)")
			continue
		}
		if m, ok := v.(map[string]any); ok && m["ok"] == false {
			lines = append(lines, "- The tool reported an error: "+str(m["error"]))
			continue
		}
		before := len(lines)
		walk(v, &lines)
		if len(lines) == before {
			lines = append(lines, "- Nothing found.")
		}
	}
	return "Here is what I found:\n\n" + strings.Join(lines, "\n")
}

// walk appends a line for every object in v that looks like an item.
func walk(v any, lines *[]string) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			walk(e, lines)
		}
	case map[string]any:
		if line, ok := itemLine(x); ok {
			*lines = append(*lines, line)
			return
		}
		for _, k := range []string{"data", "messages", "events", "free"} {
			if e, ok := x[k]; ok {
				walk(e, lines)
			}
		}
	}
}

// itemLine words one item: a proposal, an event, a message or a free slot.
func itemLine(m map[string]any) (string, bool) {
	switch {
	case m["proposal_id"] != nil:
		what := str(m["summary"])
		if what == "" {
			what = str(m["subject"])
		}
		return fmt.Sprintf("- Proposed: %s (waiting for your confirmation)", what), true
	case m["summary"] != nil:
		line := fmt.Sprintf("- %s: %s to %s", str(m["summary"]), str(m["start"]), str(m["end"]))
		if loc := str(m["location"]); loc != "" {
			line += " at " + loc
		}
		return line, true
	case m["subject"] != nil:
		line := fmt.Sprintf("- %s, from %s, %s (id %s)", str(m["subject"]), str(m["from"]), str(m["date"]), str(m["id"]))
		if text := str(m["text"]); text != "" {
			line += ": " + cut(text, 300)
		} else if s := str(m["snippet"]); s != "" {
			line += ": " + cut(s, 300)
		}
		return line, true
	case m["start"] != nil && m["end"] != nil:
		return fmt.Sprintf("- Free: %s to %s", str(m["start"]), str(m["end"])), true
	}
	return "", false
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return strings.Join(strings.Fields(s), " ")
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// trailingToolResults returns the contents of the tool messages that end
// msgs, in order, and whether there are any.
func trailingToolResults(msgs []chatMessage) ([]string, bool, error) {
	start := len(msgs)
	for start > 0 && msgs[start-1].Role == "tool" {
		start--
	}
	if start == len(msgs) {
		return nil, false, nil
	}
	var out []string
	for _, m := range msgs[start:] {
		text, err := m.text()
		if err != nil {
			return nil, false, err
		}
		out = append(out, text)
	}
	return out, true, nil
}
