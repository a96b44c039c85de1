package inference

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestSSEReader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr error
	}{
		{"two events", "data: {\"a\":1}\n\ndata: [DONE]\n\n", []string{`{"a":1}`, "[DONE]"}, io.EOF},
		{"crlf", "data: x\r\n\r\n", []string{"x"}, io.EOF},
		{"no space", "data:x\n\n", []string{"x"}, io.EOF},
		{"one space only", "data:  x \n\n", []string{" x "}, io.EOF},
		{"multi-line data", "data: a\ndata: b\n\n", []string{"a\nb"}, io.EOF},
		{"comments and fields", ": keepalive\nevent: chunk\nid: 7\nretry: 10\ndata: x\n\n", []string{"x"}, io.EOF},
		{"blank lines between", "\n\ndata: x\n\n\n\ndata: y\n\n", []string{"x", "y"}, io.EOF},
		{"event without data", "event: ping\n\ndata: x\n\n", []string{"x"}, io.EOF},
		{"cut inside event", "data: x\n\ndata: y\n", []string{"x"}, io.ErrUnexpectedEOF},
		{"cut inside line", "data: x\n\ndata: {\"parti", []string{"x"}, io.ErrUnexpectedEOF},
		{"empty", "", nil, io.EOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newSSEReader(strings.NewReader(tc.in))
			var got []string
			var err error
			for {
				var data []byte
				if data, err = r.next(); err != nil {
					break
				}
				got = append(got, string(data))
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("events = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSSEReaderLongLine(t *testing.T) {
	long := strings.Repeat("x", 200<<10) // beyond the bufio buffer
	r := newSSEReader(strings.NewReader("data: " + long + "\n\n"))
	data, err := r.next()
	if err != nil || string(data) != long {
		t.Fatalf("long line: %d bytes, %v", len(data), err)
	}
	r = newSSEReader(strings.NewReader("data: " + long + "\n\n"))
	r.max = 1 << 10
	if _, err := r.next(); !errors.Is(err, ErrProtocol) {
		t.Errorf("over the limit: %v, want ErrProtocol", err)
	}
}
