package inference

// CharsPerToken is the estimate TrimToWindow uses: about four characters
// of English per token, which overestimates for most tokenizers' English
// and underestimates for dense scripts; keep a reserve.
const CharsPerToken = 4

// messageOverhead is the estimated cost of a message's role and framing.
const messageOverhead = 4

// EstimateTokens estimates the prompt tokens of one message: its text
// (content, content parts, tool call names and arguments) at
// CharsPerToken characters per token, rounded up, plus a small overhead.
func EstimateTokens(m Message) int {
	n := len(m.Content) + len(m.ReasoningContent)
	for _, p := range m.MultiContent {
		n += len(p.Text)
	}
	for _, tc := range m.ToolCalls {
		n += len(tc.Function.Name) + len(tc.Function.Arguments)
	}
	return (n+CharsPerToken-1)/CharsPerToken + messageOverhead
}

// TrimToWindow returns the messages that fit a context window of window
// tokens minus reserve (room for the answer), by EstimateTokens: every
// system message, then the newest other messages that fit, in their
// original order. The newest message is always kept, even when it alone
// is too long. Tool results whose calling assistant message was dropped
// are dropped too. messages is not modified.
func TrimToWindow(messages []Message, window, reserve int) []Message {
	budget := window - reserve
	keep := make([]bool, len(messages))
	newest := -1
	for i, m := range messages {
		if m.Role == RoleSystem {
			keep[i] = true
			budget -= EstimateTokens(m)
		} else {
			newest = i
		}
	}
	for i := newest; i >= 0; i-- {
		if keep[i] {
			continue
		}
		cost := EstimateTokens(messages[i])
		if cost > budget && i != newest {
			break
		}
		keep[i] = true
		budget -= cost
	}
	out := make([]Message, 0, len(messages))
	leading := true // no kept non-system message yet
	for i, m := range messages {
		if !keep[i] {
			continue
		}
		if m.Role != RoleSystem {
			if leading && m.Role == RoleTool && i != newest {
				continue
			}
			leading = false
		}
		out = append(out, m)
	}
	return out
}
