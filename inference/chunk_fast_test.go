package inference

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"testing"
)

// chunkCase is a sequence of chunk payloads from testdata/chunks.txt, each
// marked "fast" when the scanner must read it itself or "full" when it
// must leave it to the full decoder.
type chunkCase struct {
	name   string
	chunks [][]byte
	fast   []bool
}

func loadChunkCases(t *testing.T) []chunkCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/chunks.txt")
	if err != nil {
		t.Fatal(err)
	}
	var cases []chunkCase
	for _, line := range bytes.Split(bytes.TrimSuffix(raw, []byte("\n")), []byte("\n")) {
		if name, ok := bytes.CutPrefix(line, []byte("# ")); ok {
			cases = append(cases, chunkCase{name: string(name)})
			continue
		}
		mode, chunk, ok := bytes.Cut(line, []byte(" "))
		if !ok || len(cases) == 0 || (string(mode) != "fast" && string(mode) != "full") {
			t.Fatalf("bad line %q", line)
		}
		c := &cases[len(cases)-1]
		c.chunks = append(c.chunks, chunk)
		c.fast = append(c.fast, string(mode) == "fast")
	}
	return cases
}

// The scanner takes the chunks it should and, chunk by chunk, the result
// is exactly the full decoder's: deltas, accumulated result and errors.
func TestChunkScannerMatchesFullDecoder(t *testing.T) {
	for _, tc := range loadChunkCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			var fastRes, fullRes Result
			fast := accumulator{res: &fastRes, calls: map[int]int{}}
			full := accumulator{res: &fullRes, calls: map[int]int{}}
			for i, chunk := range tc.chunks {
				var probe chunkScanner
				var fc fastChunk
				if took := probe.scan(chunk, &fc); took != tc.fast[i] {
					t.Fatalf("chunk %d: scanner took it = %v, want %v: %q", i, took, tc.fast[i], chunk)
				}
				gotD, gotErr := fast.add(bytes.Clone(chunk))
				wantD, wantErr := full.addFull(bytes.Clone(chunk))
				if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
					t.Fatalf("chunk %d: err = %v, full decoder's = %v", i, gotErr, wantErr)
				}
				if gotErr != nil {
					return
				}
				if !reflect.DeepEqual(gotD, wantD) {
					t.Fatalf("chunk %d: delta = %+v, full decoder's = %+v", i, gotD, wantD)
				}
				if !reflect.DeepEqual(fastRes, fullRes) {
					t.Fatalf("chunk %d: result = %+v, full decoder's = %+v", i, fastRes, fullRes)
				}
			}
		})
	}
}

// Chunks that the scanner takes decode to what their text says.
func TestChunkScannerValues(t *testing.T) {
	tests := []struct {
		name    string
		chunk   string
		content string
		finish  string
	}{
		{"plain", `{"choices":[{"index":0,"delta":{"content":"hi"}}]}`, "hi", ""},
		{"escapes", `{"choices":[{"index":0,"delta":{"content":"a\"\\\/\n\u00e9\ud83c\udf89"}}]}`, "a\"\\/\né\U0001F389", ""},
		{"line separator", `{"choices":[{"index":0,"delta":{"content":"\u2028"}}]}`, "\u2028", ""},
		{"finish", `{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`, "", "stop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s chunkScanner
			var c fastChunk
			if !s.scan([]byte(tt.chunk), &c) {
				t.Fatal("scanner did not take the chunk")
			}
			if string(c.content) != tt.content || string(c.finish) != tt.finish {
				t.Errorf("content %q finish %q, want %q %q", c.content, c.finish, tt.content, tt.finish)
			}
		})
	}
}

// A chunk the scanner leaves to the full decoder keeps the full decoder's
// errors: an error event is a status error, garbage a protocol error.
func TestChunkScannerFallbackErrors(t *testing.T) {
	var res Result
	acc := accumulator{res: &res, calls: map[int]int{}}
	_, err := acc.add([]byte(`{"error":{"message":"m","code":"busy"}}`))
	var se *StatusError
	if !errors.As(err, &se) || se.Code != "busy" {
		t.Fatalf("err = %v, want a status error", err)
	}
	if _, err := acc.add([]byte(`{"choices":[`)); !errors.Is(err, ErrProtocol) {
		t.Fatalf("err = %v, want ErrProtocol", err)
	}
}

func BenchmarkAccumulatorAdd(b *testing.B) {
	chunk := []byte(`{"id":"chatcmpl-0b3f","object":"chat.completion.chunk","created":1764000000,"model":"sim-chat","choices":[{"index":0,"delta":{"content":" token"},"logprobs":null,"finish_reason":null}]}`)
	for _, bc := range []struct {
		name string
		add  func(*accumulator, []byte) (Delta, error)
	}{{"fast", (*accumulator).add}, {"full", (*accumulator).addFull}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var res Result
				acc := accumulator{res: &res, calls: map[int]int{}}
				for range 20 {
					if _, err := bc.add(&acc, chunk); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
