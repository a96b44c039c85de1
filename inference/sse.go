package inference

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// sseReader reads server-sent events and returns their data. It follows
// the SSE rules that matter here: lines end in LF or CRLF; "data:" drops
// one following space; several data lines in one event join with LF;
// comments (":…") and other fields are ignored; a blank line ends an
// event.
type sseReader struct {
	r    *bufio.Reader
	max  int
	data []byte // the event being read, reused from event to event
}

func newSSEReader(r io.Reader) *sseReader {
	// Lines longer than the buffer are read in pieces (see line), so it
	// need not hold the longest one: a stream costs 8 KiB, not 64.
	return &sseReader{r: bufio.NewReaderSize(r, 8<<10), max: maxResponse}
}

// next returns the data of the next event that has any, valid until the
// next call. It returns io.EOF when the stream ends cleanly between events
// and io.ErrUnexpectedEOF when it ends inside one.
func (s *sseReader) next() ([]byte, error) {
	data := s.data[:0]
	defer func() { s.data = data[:0] }()
	have := false
	for {
		line, err := s.line()
		if err == io.EOF {
			if have || len(line) > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, io.EOF
		}
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			if have {
				return data, nil
			}
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		if string(field) != "data" {
			continue
		}
		value = bytes.TrimPrefix(value, []byte(" "))
		if have {
			data = append(data, '\n')
		}
		data = append(data, value...)
		have = true
	}
}

// line returns the next line without its LF or CRLF. At the end of the
// stream it returns what is left with io.EOF.
func (s *sseReader) line() ([]byte, error) {
	chunk, err := s.r.ReadSlice('\n')
	if err == nil {
		// The common case, a line within the buffer: no copy. The slice is
		// valid until the next read, and next copies what it keeps.
		return bytes.TrimSuffix(chunk[:len(chunk)-1], []byte("\r")), nil
	}
	var line []byte
	for {
		line = append(line, chunk...)
		if len(line) > s.max {
			return nil, fmt.Errorf("%w: event line over %d bytes", ErrProtocol, s.max)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			chunk, err = s.r.ReadSlice('\n')
			continue
		}
		if err != nil {
			return line, err
		}
		line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
		return line, nil
	}
}
