package markdown

import "strings"

// limitLineNesting rewrites the few source lines that would make goldmark's
// block parser slow, before parsing. goldmark checks every open container
// against every line (cost ≈ open containers × line indentation), so two
// things are bounded per line:
//
//   - container markers ('>', "- ", "+ ", "* ", "1. ", "1) ") opening a line:
//     the first one beyond max is backslash-escaped, so the rest of the line
//     is plain text ("> > > …" ten thousand deep);
//   - leading indentation of a line that starts with such a marker: more
//     than 4*max columns is reduced to 4*max, which bounds list nesting built
//     up by ever deeper indentation over many lines.
//
// Thematic breaks ("- - - -") are left alone. The pass is line-based and
// does not track code fences: a code line that starts with more than max
// markers, or with a marker after more than 4*max columns, is altered,
// which realistic code does not do.
func limitLineNesting(src string, max int) string {
	var b strings.Builder
	done := 0 // src[:done] has been copied to b
	for start := 0; start < len(src); {
		end := len(src)
		if nl := strings.IndexByte(src[start:], '\n'); nl >= 0 {
			end = start + nl + 1
		}
		line := src[start:end]
		if isThematicBreak(line) {
			start = end
			continue
		}
		ws, width := leadingSpace(line)
		trimIndent := width > 4*max && markerLen(line[ws:]) > 0
		escapeAt := excessMarker(line, ws, max)
		if trimIndent || escapeAt >= 0 {
			b.Grow(len(src) - done + 64)
			b.WriteString(src[done:start])
			from := 0
			if trimIndent {
				b.WriteString(strings.Repeat(" ", 4*max))
				from = ws
			}
			if escapeAt >= 0 {
				b.WriteString(line[from:escapeAt])
				b.WriteByte('\\')
				from = escapeAt
			}
			b.WriteString(line[from:])
			done = end
		}
		start = end
	}
	if done == 0 {
		return src
	}
	b.WriteString(src[done:])
	return b.String()
}

// leadingSpace returns the byte length and column width (tabs to the next
// multiple of 4) of line's leading spaces and tabs.
func leadingSpace(line string) (n, width int) {
	for n < len(line) {
		switch line[n] {
		case ' ':
			width++
		case '\t':
			width += 4 - width%4
		default:
			return n, width
		}
		n++
	}
	return n, width
}

// markerLen returns the length of the container marker at the start of s
// (including the following space or tab), or 0 if there is none. For an
// ordered marker, the escapable '.' or ')' is at markerLen-2.
func markerLen(s string) int {
	if s == "" {
		return 0
	}
	switch c := s[0]; {
	case c == '>':
		return 1
	case c == '-' || c == '+' || c == '*':
		if len(s) > 1 && (s[1] == ' ' || s[1] == '\t') {
			return 2
		}
	case c >= '0' && c <= '9':
		j := 1
		for j < len(s) && j < 9 && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j+1 < len(s) && (s[j] == '.' || s[j] == ')') && (s[j+1] == ' ' || s[j+1] == '\t') {
			return j + 2
		}
	}
	return 0
}

// excessMarker returns the offset in line of the byte to backslash-escape so
// that the (max+1)th container marker is not one, or -1 if the line opens
// at most max containers. Scanning starts at offset from.
func excessMarker(line string, from, max int) int {
	count := 0
	for i := from; i < len(line); {
		if line[i] == ' ' || line[i] == '\t' {
			i++
			continue
		}
		n := markerLen(line[i:])
		if n == 0 {
			return -1
		}
		if count == max {
			if line[i] >= '0' && line[i] <= '9' {
				return i + n - 2 // the '.' or ')'
			}
			return i
		}
		count++
		i += n
	}
	return -1
}

// isThematicBreak reports whether line consists of three or more of the
// same '-', '*' or '_' with optional spaces and tabs.
func isThematicBreak(line string) bool {
	var mark byte
	n := 0
	for i := 0; i < len(line); i++ {
		switch c := line[i]; c {
		case ' ', '\t', '\n', '\r':
		case '-', '*', '_':
			if mark != 0 && c != mark {
				return false
			}
			mark = c
			n++
		default:
			return false
		}
	}
	return n >= 3
}
