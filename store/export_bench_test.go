package store_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/google/uuid"

	"confidant/internal/procstat"
	"confidant/internal/testdb"
	"confidant/portability/bundle"
	"confidant/portability/exporter"
	"confidant/store"
)

// BenchmarkAccountExport exports one large account to an age-encrypted
// bundle hashed on the fly (no disk), and reports its time and the
// process's peak resident memory, against a baseline in the same run: the
// plain SELECT of the same rows, without unsealing or writing anything.
// CONFIDANT_BENCH=1 makes it the account of issue #9 (10,000
// conversations, 200,000 messages); otherwise a small one, so that
// `go test -bench .` stays quick.
func BenchmarkAccountExport(b *testing.B) {
	conversations, perConversation := 200, 20
	if os.Getenv("CONFIDANT_BENCH") == "1" {
		conversations = 10_000
	}
	pool := testdb.New(b)
	kr, reg := testdb.Keys(b)
	s := store.New(pool, kr, reg)
	ctx := context.Background()
	user := store.User{ID: uuid.New(), Username: "bench", DisplayName: "Bench", CreatedAt: time.Now()}
	if err := s.CreateUser(ctx, user); err != nil {
		b.Fatal(err)
	}
	seedStart := time.Now()
	if err := s.SeedChatsForTest(ctx, user.ID, conversations, perConversation, benchText, time.Now().Add(-time.Hour)); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE conversations; ANALYZE messages`); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d conversations, %d messages in %s", conversations, conversations*perConversation, time.Since(seedStart).Round(time.Millisecond))
	key, err := age.GenerateX25519Identity()
	if err != nil {
		b.Fatal(err)
	}
	e := &exporter.Exporter{Store: s, Source: bundle.Source{Origin: "http://bench", Version: "bench", Commit: "bench"}}
	want := int64(conversations + conversations*perConversation)

	b.ResetTimer()
	for range b.N {
		// Baseline: the raw rows, sealed, straight from Postgres.
		baseStart := time.Now()
		rows := 0
		for _, q := range []string{
			`SELECT id, title_sealed, model, pinned, archived, current_leaf, created_at, updated_at FROM conversations WHERE user_id = $1`,
			`SELECT id, conversation_id, parent_id, role, content_sealed, status, model, error_code, created_at, updated_at, verification_sealed
			 FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE user_id = $1)`,
		} {
			r, err := pool.Query(ctx, q, user.ID)
			if err != nil {
				b.Fatal(err)
			}
			for r.Next() {
				if _, err := r.Values(); err != nil {
					b.Fatal(err)
				}
				rows++
			}
			if r.Err() != nil {
				b.Fatal(r.Err())
			}
		}
		baseline := time.Since(baseStart)
		if int64(rows) != want {
			b.Fatalf("baseline read %d rows, want %d", rows, want)
		}

		runtime.GC()
		debug.FreeOSMemory()
		before, _ := procstat.RSSKB(os.Getpid())
		peak := watchPeakRSS()
		out := &countingHash{h: sha256.New()}
		var done atomic.Int64
		start := time.Now()
		err := e.ExportEncrypted(ctx, user.ID, out, key.Recipient(), exporter.Options{Progress: func(p exporter.Progress) { done.Store(p.Done) }})
		elapsed := time.Since(start)
		peakKB := peak()
		if err != nil {
			b.Fatal(err)
		}
		if done.Load() != want {
			b.Fatalf("exported %d records, want %d", done.Load(), want)
		}
		b.ReportMetric(elapsed.Seconds(), "export-s")
		b.ReportMetric(baseline.Seconds(), "select-s")
		b.ReportMetric(elapsed.Seconds()/baseline.Seconds(), "x-select")
		b.ReportMetric(float64(peakKB)/1024, "peak-rss-MiB")
		b.ReportMetric(float64(out.n)/(1<<20), "bundle-MiB")
		b.Logf("export %s (%.1f MiB, sha256 %x…), select %s; RSS %d MiB before, peak %d MiB",
			elapsed.Round(time.Millisecond), float64(out.n)/(1<<20), out.h.Sum(nil)[:6], baseline.Round(time.Millisecond), before/1024, peakKB/1024)
	}
}

// watchPeakRSS samples this process's resident memory every 2 ms until
// the returned function is called, which returns the highest in KiB.
func watchPeakRSS() func() int {
	var mu sync.Mutex
	peak := 0
	stop := make(chan struct{})
	done := make(chan struct{})
	sample := func() {
		if kb, err := procstat.RSSKB(os.Getpid()); err == nil {
			mu.Lock()
			peak = max(peak, kb)
			mu.Unlock()
		}
	}
	go func() {
		defer close(done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() int {
		sample()
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// countingHash is io.Discard that hashes and counts what it is given.
type countingHash struct {
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}

// benchWords make chat-like text; benchText(i) is message i: questions of
// about 25 words, answers of about 150, as chats go.
var benchWords = strings.Fields(`the a to of and in is for on that with it as this be are you
can or your from at by we an will not have which more about use one how when what they if
memory document answer question sealed enclave private model verify passkey trip boat garden
tax meeting notes summary recipe budget plan schedule weather travel train Lisbon Porto`)

func benchText(i int) string {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	n := 10 + r.IntN(30)
	if i%2 == 1 {
		n = 60 + r.IntN(180)
	}
	var sb strings.Builder
	for w := range n {
		if w > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(benchWords[r.IntN(len(benchWords))])
	}
	sb.WriteString(fmt.Sprintf(" (%d)", i))
	return sb.String()
}
