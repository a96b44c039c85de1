package inference

import (
	"bytes"
	"math"
	"unicode/utf16"
	"unicode/utf8"
)

// fastChunk is a stream chunk of the shape nearly every chunk has: one
// choice (or none) whose delta holds text, no tool calls, no error, and
// perhaps the usage counts. Its byte slices point into the payload or into the scanner's
// scratch buffer and are valid until the next chunk is scanned.
type fastChunk struct {
	id, model          []byte
	hasChoice          bool
	index              int
	content, reasoning []byte
	finish             []byte // nil when null or absent
	hasUsage           bool
	usage              Usage
}

// chunkScanner reads chunks of the common shape without reflection.
// Anything it is not sure of — a name it does not know or in another case,
// a duplicate name, tool calls, usage, an error, more than one choice, a
// lone surrogate, invalid UTF-8, malformed JSON — makes scan report false,
// and the caller decodes the chunk with the full decoder, so the result is
// the full decoder's in every case.
type chunkScanner struct {
	data    []byte
	pos     int
	scratch []byte // unescaped strings of the current chunk
}

// scan parses data into c and reports whether it had the common shape.
func (s *chunkScanner) scan(data []byte, c *fastChunk) bool {
	s.data, s.pos, s.scratch = data, 0, s.scratch[:0]
	*c = fastChunk{}
	ok := s.object(func(name []byte) bool {
		switch string(name) {
		case "id":
			v, ok := s.nullableString()
			c.id = v
			return ok
		case "model":
			v, ok := s.nullableString()
			c.model = v
			return ok
		case "object", "system_fingerprint":
			_, ok := s.nullableString()
			return ok
		case "created":
			_, ok := s.integer()
			return ok
		case "usage":
			if s.null() {
				return true
			}
			c.hasUsage = true
			return s.usage(&c.usage)
		case "error":
			return s.null()
		case "choices":
			return s.choices(c)
		}
		return false
	})
	s.space()
	return ok && s.pos == len(s.data)
}

// usage reads a usage object of token counts.
func (s *chunkScanner) usage(u *Usage) bool {
	return s.object(func(name []byte) bool {
		var n *int
		switch string(name) {
		case "prompt_tokens":
			n = &u.PromptTokens
		case "completion_tokens":
			n = &u.CompletionTokens
		case "total_tokens":
			n = &u.TotalTokens
		case "prompt_tokens_details", "completion_tokens_details":
			return s.null()
		default:
			return false
		}
		v, ok := s.integer()
		*n = v
		return ok
	})
}

// choices reads an array of no choice or one.
func (s *chunkScanner) choices(c *fastChunk) bool {
	if !s.consume('[') {
		return false
	}
	if s.consume(']') {
		return true
	}
	c.hasChoice = true
	ok := s.object(func(name []byte) bool {
		switch string(name) {
		case "index":
			n, ok := s.integer()
			c.index = n
			return ok
		case "delta":
			return s.delta(c)
		case "logprobs":
			return s.null()
		case "finish_reason":
			v, ok := s.nullableString()
			c.finish = v
			return ok
		case "stop_reason":
			if _, ok := s.nullableString(); ok {
				return true
			}
			_, ok := s.integer()
			return ok
		}
		return false
	})
	return ok && s.consume(']')
}

func (s *chunkScanner) delta(c *fastChunk) bool {
	return s.object(func(name []byte) bool {
		switch string(name) {
		case "role":
			_, ok := s.nullableString()
			return ok
		case "content":
			v, ok := s.nullableString()
			c.content = v
			return ok
		case "reasoning_content":
			v, ok := s.nullableString()
			c.reasoning = v
			return ok
		case "tool_calls":
			return s.null()
		}
		return false
	})
}

// object reads an object, calling member for each name with the scanner
// at the value. A name seen twice, or escaped, ends the fast path.
func (s *chunkScanner) object(member func(name []byte) bool) bool {
	if !s.consume('{') {
		return false
	}
	if s.consume('}') {
		return true
	}
	var seen [8][]byte // no object of the common shape has more members
	n := 0
	for {
		s.space()
		name, ok := s.rawString()
		if !ok || n == len(seen) {
			return false
		}
		for _, prev := range seen[:n] {
			if bytes.Equal(prev, name) {
				return false
			}
		}
		seen[n] = name
		n++
		if !s.consume(':') {
			return false
		}
		s.space()
		if !member(name) {
			return false
		}
		if s.consume(',') {
			continue
		}
		return s.consume('}')
	}
}

// space skips JSON whitespace.
func (s *chunkScanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// consume skips whitespace and then b if it is next.
func (s *chunkScanner) consume(b byte) bool {
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] == b {
		s.pos++
		return true
	}
	return false
}

func (s *chunkScanner) null() bool {
	if len(s.data)-s.pos >= 4 && string(s.data[s.pos:s.pos+4]) == "null" {
		s.pos += 4
		return true
	}
	return false
}

// integer reads a non-negative integer that fits an int.
func (s *chunkScanner) integer() (int, bool) {
	start := s.pos
	var n uint64
	for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
		n = n*10 + uint64(s.data[s.pos]-'0')
		s.pos++
	}
	digits := s.pos - start
	if digits == 0 || digits > 18 || (digits > 1 && s.data[start] == '0') || n > math.MaxInt {
		return 0, false
	}
	return int(n), true
}

// nullableString reads a string, or null as nil.
func (s *chunkScanner) nullableString() ([]byte, bool) {
	if s.null() {
		return nil, true
	}
	v, ok := s.str()
	if v == nil {
		v = []byte{} // "" is not null
	}
	return v, ok
}

// rawString reads a string without escapes, as a name is.
func (s *chunkScanner) rawString() ([]byte, bool) {
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return nil, false
	}
	start := s.pos + 1
	for i := start; i < len(s.data); i++ {
		switch b := s.data[i]; {
		case b == '"':
			s.pos = i + 1
			return s.data[start:i], true
		case b == '\\' || b < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// str reads a string value and unescapes it. Raw control characters,
// invalid UTF-8 and lone surrogates end the fast path: the full decoder
// decides what they mean.
func (s *chunkScanner) str() ([]byte, bool) {
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return nil, false
	}
	start := s.pos + 1
	i := start
	ascii := true
	for ; i < len(s.data); i++ {
		b := s.data[i]
		if b == '"' || b == '\\' {
			break
		}
		if b < 0x20 {
			return nil, false
		}
		if b >= utf8.RuneSelf {
			ascii = false
		}
	}
	if i >= len(s.data) {
		return nil, false
	}
	if s.data[i] == '"' {
		if !ascii && !utf8.Valid(s.data[start:i]) {
			return nil, false
		}
		s.pos = i + 1
		return s.data[start:i], true
	}
	// Escapes: unescape into scratch.
	out := len(s.scratch)
	s.scratch = append(s.scratch, s.data[start:i]...)
	for i < len(s.data) {
		b := s.data[i]
		switch {
		case b == '"':
			if !ascii && !utf8.Valid(s.scratch[out:]) {
				return nil, false
			}
			s.pos = i + 1
			return s.scratch[out:len(s.scratch):len(s.scratch)], true
		case b < 0x20:
			return nil, false
		case b != '\\':
			if b >= utf8.RuneSelf {
				ascii = false
			}
			s.scratch = append(s.scratch, b)
			i++
			continue
		}
		if i+1 >= len(s.data) {
			return nil, false
		}
		switch e := s.data[i+1]; e {
		case '"', '\\', '/':
			s.scratch = append(s.scratch, e)
		case 'b':
			s.scratch = append(s.scratch, '\b')
		case 'f':
			s.scratch = append(s.scratch, '\f')
		case 'n':
			s.scratch = append(s.scratch, '\n')
		case 'r':
			s.scratch = append(s.scratch, '\r')
		case 't':
			s.scratch = append(s.scratch, '\t')
		case 'u':
			r, ok := hex4(s.data[i+2:])
			if !ok {
				return nil, false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				if len(s.data)-i < 6 || s.data[i] != '\\' || s.data[i+1] != 'u' {
					return nil, false
				}
				r2, ok := hex4(s.data[i+2:])
				if !ok {
					return nil, false
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return nil, false
				}
				i += 6
			}
			s.scratch = utf8.AppendRune(s.scratch, r)
			continue
		default:
			return nil, false
		}
		i += 2
	}
	return nil, false
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
