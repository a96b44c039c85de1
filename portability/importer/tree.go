package importer

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// node is one entry of a source's message tree, before it is flattened.
type node struct {
	id       string
	parent   string // "" for a root, or a parent not in the tree
	children []string
	msg      *Message // nil: a node that is skipped, its children kept
}

// flatten walks the tree from its roots (in order) and returns the kept
// messages, parents before children, each parented to its nearest kept
// ancestor. It walks without recursion and visits each node once, so a
// cycle or a very deep chain in a hostile file costs nothing extra.
// leaf, when it names a node, becomes the external id of its nearest
// kept ancestor-or-self.
func flatten(nodes map[string]*node, roots []string, leaf string) (msgs []Message, current string) {
	type item struct{ id, keptParent string }
	kept := map[string]string{} // node id → its nearest kept ancestor-or-self
	visited := make(map[string]bool, len(nodes))
	var stack []item
	for i := len(roots) - 1; i >= 0; i-- {
		stack = append(stack, item{id: roots[i]})
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n, ok := nodes[it.id]
		if !ok || visited[it.id] {
			continue
		}
		visited[it.id] = true
		parentForChildren := it.keptParent
		if n.msg != nil {
			m := *n.msg
			m.ExternalID = n.id
			m.ParentID = it.keptParent
			msgs = append(msgs, m)
			parentForChildren = n.id
		}
		kept[n.id] = parentForChildren
		for i := len(n.children) - 1; i >= 0; i-- {
			stack = append(stack, item{id: n.children[i], keptParent: parentForChildren})
		}
	}
	return msgs, kept[leaf]
}

// rootsOf lists, in order, the nodes whose parent is absent from the tree.
func rootsOf(order []string, nodes map[string]*node) []string {
	var roots []string
	for _, id := range order {
		if _, ok := nodes[nodes[id].parent]; !ok || nodes[id].parent == "" || nodes[id].parent == id {
			roots = append(roots, id)
		}
	}
	return roots
}

// cleanText makes text safe to store: valid UTF-8 without NUL bytes.
func cleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ReplaceAll(s, "\x00", "")
}

// epoch reads a Unix time that may be in seconds (with a fraction),
// milliseconds, microseconds or nanoseconds; ok is false for none.
func epoch(v float64) (time.Time, bool) {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return time.Time{}, false
	}
	switch {
	case v > 1e17:
		v /= 1e9
	case v > 1e14:
		v /= 1e6
	case v > 1e11:
		v /= 1e3
	}
	sec, frac := math.Modf(v)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

// firstTime returns the first of ts that is set.
func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// fillTimes gives every message without a time its parent's (or the
// conversation's), and the conversation a time from its messages when it
// has none; it reports whether any time could be found.
func fillTimes(c *Conversation) bool {
	if c.CreatedAt.IsZero() {
		for _, m := range c.Messages {
			if !m.CreatedAt.IsZero() && (c.CreatedAt.IsZero() || m.CreatedAt.Before(c.CreatedAt)) {
				c.CreatedAt = m.CreatedAt
			}
		}
		c.CreatedAt = firstTime(c.CreatedAt, c.UpdatedAt)
	}
	if c.CreatedAt.IsZero() {
		return false
	}
	at := make(map[string]time.Time, len(c.Messages))
	latest := c.CreatedAt
	for i := range c.Messages {
		m := &c.Messages[i]
		if m.CreatedAt.IsZero() {
			m.CreatedAt = firstTime(at[m.ParentID], c.CreatedAt)
		}
		at[m.ExternalID] = m.CreatedAt
		if m.CreatedAt.After(latest) {
			latest = m.CreatedAt
		}
	}
	if c.UpdatedAt.IsZero() || c.UpdatedAt.Before(latest) {
		c.UpdatedAt = latest
	}
	return true
}

// checkSizes applies the per-conversation limits.
func checkSizes(c *Conversation, lim Limits) error {
	if len(c.Messages) > lim.MaxMessages {
		return fail(ErrTooLarge, "a conversation has more than %d messages", lim.MaxMessages)
	}
	for _, m := range c.Messages {
		if len(m.Text) > lim.MaxTextBytes {
			return fail(ErrTooLarge, "a message is longer than %d KiB", lim.MaxTextBytes>>10)
		}
	}
	c.Title = truncateRunes(cleanText(strings.TrimSpace(c.Title)), 300)
	if c.Title == "" {
		c.Title = fallbackTitle(c.Messages)
	}
	return nil
}

// fallbackTitle titles an untitled conversation with the first line of its
// first question, as a person would recognise it in the sidebar.
func fallbackTitle(msgs []Message) string {
	for _, m := range msgs {
		if m.Role != RoleUser {
			continue
		}
		line, _, _ := strings.Cut(strings.TrimSpace(m.Text), "\n")
		line = strings.TrimSpace(line)
		if utf8.RuneCountInString(line) > 60 {
			line = strings.TrimSpace(truncateRunes(line, 59)) + "…"
		}
		return line
	}
	return ""
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// sortByTime orders Open WebUI message ids by timestamp, then id.
func sortByTime(ids []string, msgs map[string]owuiMessage) {
	ts := func(id string) float64 { return deref(msgs[id].Timestamp) }
	slices.SortFunc(ids, func(a, b string) int {
		if c := cmp.Compare(ts(a), ts(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
}
