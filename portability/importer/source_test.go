package importer

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
)

// watchedReader serves data through ReadAt, noting the largest read, and
// fails every read past failAt (when set) as a lost database would.
type watchedReader struct {
	data    []byte
	failAt  int64
	mu      sync.Mutex
	largest int
	reads   int
}

var errLost = errors.New("connection lost")

func (w *watchedReader) ReadAt(p []byte, off int64) (int, error) {
	w.mu.Lock()
	w.largest = max(w.largest, len(p))
	w.reads++
	w.mu.Unlock()
	if w.failAt > 0 && off+int64(len(p)) > w.failAt {
		return 0, errLost
	}
	return bytes.NewReader(w.data).ReadAt(p, off)
}

// TestOpenReaderReadsInPieces reads every format through a ReaderAt and
// checks that it gives what Open gives from the whole file, asking for
// small pieces only, never the file at once.
func TestOpenReaderReadsInPieces(t *testing.T) {
	// 300 copies of the sample's conversations: a file of some MiB.
	sample := strings.TrimSpace(string(readTestdata(t, "chatgpt_conversations.json")))
	large := "[" + strings.Repeat(sample[1:len(sample)-1]+",", 299) + sample[1:]
	files := map[string][]byte{"large.json": []byte(large), "large.zip": zipOf(t, [2]string{"export/conversations.json", large})}
	for _, name := range []string{"chatgpt_conversations.json", "chatgpt_export.zip", "claude_export.zip", "claude_conversations.json", "openwebui_chats.json"} {
		files[name] = readTestdata(t, name)
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			// Blank space and a byte-order mark before the JSON are
			// skipped as Open skips them.
			if !strings.HasSuffix(name, ".zip") {
				data = append([]byte("\xef\xbb\xbf \n\t"), data...)
			}
			want, wantMsgs, err := mustOpen(t, data).Count()
			if err != nil {
				t.Fatal(err)
			}
			w := &watchedReader{data: data}
			f, err := OpenReader(w, int64(len(data)), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got, gotMsgs, err := f.Count()
			if err != nil || got != want || gotMsgs != wantMsgs {
				t.Fatalf("count = %d, %d, %v; want %d, %d", got, gotMsgs, err, want, wantMsgs)
			}
			if w.largest > 64<<10 || (len(data) > 1<<20 && w.reads < len(data)/(64<<10)) {
				t.Errorf("%d reads, the largest %d bytes of %d", w.reads, w.largest, len(data))
			}
		})
	}
}

// TestReadFailureIsNotAFault: a file that cannot be read (the store gone
// away) is an error to retry, not a refusal of a damaged file.
func TestReadFailureIsNotAFault(t *testing.T) {
	for _, name := range []string{"chatgpt_conversations.json", "chatgpt_export.zip"} {
		data := readTestdata(t, name)
		for _, failAt := range []int64{600, int64(len(data)) / 2, int64(len(data)) - 10} {
			w := &watchedReader{data: data, failAt: failAt}
			f, err := OpenReader(w, int64(len(data)), Limits{})
			if err == nil {
				_, _, err = f.Count()
			}
			if !errors.Is(err, errLost) {
				t.Errorf("%s failing at %d: err = %v, want the read error", name, failAt, err)
			}
			if _, ok := AsError(err); ok {
				t.Errorf("%s failing at %d: a read failure became a refusal: %v", name, failAt, err)
			}
		}
	}
}

func mustOpen(t *testing.T, data []byte) *File {
	t.Helper()
	f, err := Open(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var _ io.ReaderAt = (*watchedReader)(nil)
