package imports_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"confidant/internal/procstat"
	"confidant/portability/importer"
	"confidant/portability/imports"
	"confidant/store"
)

// genChatGPT returns a ChatGPT-format export of convs conversations with
// msgs messages each (writeChatGPT).
func genChatGPT(convs, msgs int) []byte {
	var b bytes.Buffer
	if err := writeChatGPT(&b, convs, msgs); err != nil {
		panic(err) // a bytes.Buffer does not fail
	}
	return b.Bytes()
}

// writeChatGPT writes a ChatGPT-format export of convs conversations with
// msgs messages each (a user/assistant chain of ~45-word turns, with
// ChatGPT's own fields and an empty root node) to w, as it goes.
func writeChatGPT(w io.Writer, convs, msgs int) error {
	b := bufio.NewWriterSize(w, 1<<20)
	words := strings.Fields("the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing matches in kyoto and lisbon")
	text := func(i int) string {
		var sb strings.Builder
		for j := 0; j < 40; j++ {
			sb.WriteString(words[(i*7+j*3)%len(words)])
			sb.WriteByte(' ')
		}
		fmt.Fprintf(&sb, "#%d", i)
		return sb.String()
	}
	b.WriteByte('[')
	t0 := 1.7e9
	for c := 0; c < convs; c++ {
		if c > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, `{"title":"Conversation %d","create_time":%.3f,"update_time":%.3f,"mapping":{"root-%d":{"id":"root-%d","message":null,"parent":null,"children":["c%d-m0"]}`, c, t0+float64(c*100), t0+float64(c*100+msgs), c, c, c)
		n := 0
		parent := fmt.Sprintf("root-%d", c)
		for m := 0; n < msgs; m++ {
			id := fmt.Sprintf("c%d-m%d", c, m)
			role := "user"
			if m%2 == 1 {
				role = "assistant"
			}
			children := fmt.Sprintf(`["c%d-m%d"]`, c, m+1)
			if n == msgs-1 {
				children = "[]"
			}
			fmt.Fprintf(b, `,"%s":{"id":"%s","message":{"id":"%s","author":{"role":"%s","name":null,"metadata":{}},"create_time":%.3f,"update_time":null,"content":{"content_type":"text","parts":["%s"]},"status":"finished_successfully","end_turn":true,"weight":1.0,"metadata":{"model_slug":"gpt-4o"},"recipient":"all","channel":null},"parent":"%s","children":%s}`,
				id, id, id, role, t0+float64(c*100+m), text(c*msgs+m), parent, children)
			parent = id
			n++
		}
		fmt.Fprintf(b, `},"moderation_results":[],"current_node":"c%d-m%d","plugin_ids":null,"conversation_id":"conv-%d","id":"conv-%d","default_model_slug":"gpt-4o","is_archived":false}`, c, msgs-1, c, c)
	}
	b.WriteByte(']')
	return b.Flush()
}

// peakRSS samples this process's resident memory until stop is called and
// returns the highest value seen, in MiB.
func peakRSS() (stop func() int) {
	var peak atomic.Int64
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := func() {
		if kb, err := procstat.RSSKB(os.Getpid()); err == nil && int64(kb) > peak.Load() {
			peak.Store(int64(kb))
		}
	}
	go func() {
		defer close(finished)
		for {
			sample()
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() int {
		close(done)
		<-finished
		sample()
		return int(peak.Load() >> 10)
	}
}

// TestImportBench imports 10,000 conversations with 200,000 messages as
// a job (upload sealed, validation pass, batched writes) and reports the
// time and peak RSS, against parsing the same file alone. The file is
// generated into a temporary file and read from there, so this process
// never holds it: what is measured is what the server would hold. Run
// with CONFIDANT_BENCH=1 (make bench).
func TestImportBench(t *testing.T) {
	if os.Getenv("CONFIDANT_BENCH") != "1" {
		t.Skip("CONFIDANT_BENCH=1 runs it")
	}
	const convs, msgs = 10_000, 20
	path := filepath.Join(t.TempDir(), "conversations.json")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeChatGPT(out, convs, msgs); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		t.Fatal(err)
	}
	size := info.Size()
	debug.FreeOSMemory() // the generator's garbage would count as parsing's
	base, _ := procstat.RSSKB(os.Getpid())
	t.Logf("file: %.1f MiB, %d conversations, %d messages", float64(size)/(1<<20), convs, convs*msgs)

	stop := peakRSS()
	start := time.Now()
	f, err := importer.OpenReader(file, size, importer.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	n, m, err := f.Count()
	if err != nil || n != convs || m != convs*msgs {
		t.Fatalf("parse: %d conversations, %d messages, %v", n, m, err)
	}
	parse := time.Since(start)
	parseRSS := stop()
	f = nil
	debug.FreeOSMemory()

	h := newHarness(t, imports.Options{})
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	debug.FreeOSMemory()
	harnessRSS, _ := procstat.RSSKB(os.Getpid())
	stop = peakRSS()
	start = time.Now()
	submitted, err := h.svc.Submit(context.Background(), h.user, file, "")
	if err != nil || submitted.Size != size {
		t.Fatalf("submit: %+v, %v", submitted, err)
	}
	upload := time.Since(start)
	deadline := time.Now().Add(30 * time.Minute)
	var imp store.Import
	for {
		if imp, err = h.svc.Job(context.Background(), h.user, submitted.ID); err != nil {
			t.Fatal(err)
		}
		if imp.State == store.ImportDone || imp.State == store.ImportFailed || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	total := time.Since(start)
	importRSS := stop()
	if imp.State != store.ImportDone || imp.Counts.Messages != convs*msgs || imp.Counts.Conversations != convs {
		t.Fatalf("import = %+v", imp)
	}
	if got := h.rowCounts(t); got[1] != convs*msgs {
		t.Fatalf("rows = %v", got)
	}
	t.Logf("process RSS before parsing (the file is not in memory): %d MiB; with the harness and River started: %d MiB", base>>10, harnessRSS>>10)
	t.Logf("parse only (validation pass, streamed from the file): %.2fs, peak RSS %d MiB", parse.Seconds(), parseRSS)
	t.Logf("import job (upload streamed and sealed %.2fs, validate, write): %.2fs (%.0f messages/s), peak RSS %d MiB (the whole test process: harness, River and the job)",
		upload.Seconds(), total.Seconds(), float64(convs*msgs)/total.Seconds(), importRSS)
	t.Logf("ratio import/parse: %.1fx time, %.2fx peak RSS", total.Seconds()/parse.Seconds(), float64(importRSS)/float64(parseRSS))
}
