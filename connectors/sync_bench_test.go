package connectors_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/connectors"
	"confidant/connectors/imap"
	"confidant/internal/procstat"
	"confidant/internal/testdb"
	"confidant/internal/testmail"
	"confidant/store"
)

// TestSyncThroughputEndToEnd measures what a person waits for after
// connecting a mailbox of 10,000 messages (issue #8): dovecot → the IMAP
// Source → the Service's River job → the sink (sealing, blind index
// tokens, sim-embed embeddings over HTTP, the per-user vector transform) →
// Postgres. It reports messages per second, the wall time from Connect to
// the connector turning idle, and the peak RSS of this process while it
// synced against its RSS before; and, in the same run, the IMAP Source
// alone into a discarding Sink as the baseline. Run it with
//
//	CONFIDANT_BENCH=1 go test -count=1 -run TestSyncThroughputEndToEnd -v -timeout 30m ./connectors
func TestSyncThroughputEndToEnd(t *testing.T) {
	if os.Getenv("CONFIDANT_BENCH") != "1" {
		t.Skip("set CONFIDANT_BENCH=1 to measure end-to-end sync throughput")
	}
	const (
		n        = 10_000
		username = "alice"
		password = "bench pass"
	)
	ctx := context.Background()
	mail := testmail.StartIMAP(t, testmail.IMAPOptions{Users: map[string]string{username: password}})
	raws, size := benchCorpus(t, n)
	mail.Deliver(t, username, raws)
	raws = nil
	t.Logf("corpus: %d messages, %.1f MB", n, float64(size)/1e6)
	settings := connectors.Settings{Kind: connectors.KindIMAP, Host: mail.Host, Port: mail.Port,
		Security: connectors.SecurityNone, Username: username, Password: password}

	// Baseline: the Source alone, after a pass that warms dovecot's index
	// and the page cache for both measured runs.
	src, err := imap.New(settings, loopbackDial, nil)
	if err != nil {
		t.Fatal(err)
	}
	var base measurement
	for pass := range 2 {
		sink := &discardSink{}
		m := measure(func() { err = src.Sync(ctx, nil, sink) })
		if err != nil {
			t.Fatalf("source-only sync: %v", err)
		}
		if sink.mails != n {
			t.Fatalf("source-only sync delivered %d messages, want %d", sink.mails, n)
		}
		base = m
		if pass == 1 {
			t.Logf("source only (imap.Source → discarding Sink): %6.0f msg/s, %v, RSS %d → peak %d MiB, %d batches",
				m.rate(n), m.wall.Round(time.Millisecond), m.beforeKB/1024, m.peakKB/1024, sink.batches)
		}
	}

	// End to end: a real database and the Service with the app's IMAP
	// factory and sim-embed over HTTP, as cmd/confidant wires them.
	pool := testdb.New(t)
	kr, reg := testdb.Keys(t)
	st := store.New(pool, kr, reg)
	user := store.User{ID: uuid.New(), Username: "bench", DisplayName: "Bench", CreatedAt: time.Now()}
	if err := st.CreateUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	embedder := &timedEmbedder{next: simEmbedder(t)}
	times := &syncTimes{}
	factory := func(s connectors.Settings, dial connectors.Dialer, tokens connectors.TokenSaver) (connectors.Source, error) {
		src, err := imap.New(s, dial, tokens)
		if err != nil {
			return nil, err
		}
		return sourceFunc(func(ctx context.Context, cursor []byte, sink connectors.Sink) error {
			start := time.Now()
			err := src.Sync(ctx, cursor, times.wrap(sink))
			times.addSync(time.Since(start))
			return err
		}), nil
	}
	svc, err := connectors.NewService(pool, st, connectors.Options{
		Factories:    map[connectors.Kind]connectors.SourceFactory{connectors.KindIMAP: factory},
		AllowPrivate: true, Embedder: embedder, PollInterval: 50 * time.Millisecond,
		MaxAttempts: 1, MinInterval: time.Hour, SyncInterval: 24 * time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = svc.Stop(stop)
	})

	var done connectors.Connection
	m := measure(func() {
		c, err := svc.Connect(ctx, user.ID, settings)
		if err != nil {
			t.Fatal(err)
		}
		done = waitSynced(t, svc, user.ID, c.ID, 20*time.Minute)
	})
	calls, texts, embedTime := embedder.totals()
	t.Logf("end to end (Connect → River job → sink → Postgres): %6.0f msg/s, %v, RSS %d → peak %d MiB",
		m.rate(n), m.wall.Round(time.Millisecond), m.beforeKB/1024, m.peakKB/1024)
	sourceSync, applied, batches := times.totals()
	pct := func(d time.Duration) float64 { return 100 * d.Seconds() / m.wall.Seconds() }
	t.Logf("  IMAP Source outside the sink:      %9v (%2.0f%%)", (sourceSync - applied).Round(time.Millisecond), pct(sourceSync-applied))
	t.Logf("  embedding (%3d requests, %d texts): %9v (%2.0f%%)", calls, texts, embedTime.Round(time.Millisecond), pct(embedTime))
	t.Logf("  sealing, tokens, store → Postgres: %9v (%2.0f%%) over %d batches", (applied - embedTime).Round(time.Millisecond), pct(applied-embedTime), batches)
	t.Logf("  River job start and finish, polls: %9v (%2.0f%%)", (m.wall - sourceSync).Round(time.Millisecond), pct(m.wall-sourceSync))
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		t.Logf("load average after the run (%d CPUs): %s", runtime.NumCPU(), strings.TrimSpace(string(load)))
	}
	t.Logf("end-to-end/source-only throughput ratio: %.2f", m.rate(n)/base.rate(n))

	// What was timed must be the whole sync, stored once and indexed.
	if done.Items != n || done.Progress.Done != n {
		t.Fatalf("connector after the sync: %+v, want %d items", done, n)
	}
	var rows, embedded int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(embedding) FROM connector_mail WHERE connector_id = $1`, done.ID).Scan(&rows, &embedded); err != nil {
		t.Fatal(err)
	}
	if rows != n || embedded != n || texts != n {
		t.Fatalf("%d rows, %d with embeddings, %d texts embedded; want %d of each", rows, embedded, texts, n)
	}
	found, err := svc.SearchMail(ctx, user.ID, "Quarterly report 4242", 5)
	if err != nil || len(found) == 0 || !strings.Contains(found[0].Subject, "4242") {
		t.Fatalf("search after the sync: %+v, %v", found, err)
	}
}

// measurement is one timed run: its wall time, the RSS of this process
// before it (after a GC) and the peak while it ran, in KiB.
type measurement struct {
	wall             time.Duration
	beforeKB, peakKB int
}

func (m measurement) rate(n int) float64 { return float64(n) / m.wall.Seconds() }

// measure runs f, sampling this process's RSS every 5 ms.
func measure(f func()) measurement {
	runtime.GC()
	debug.FreeOSMemory()
	before, _ := procstat.RSSKB(os.Getpid())
	var peak atomic.Int64
	peak.Store(int64(before))
	stop, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb, err := procstat.RSSKB(os.Getpid()); err == nil && int64(kb) > peak.Load() {
				peak.Store(int64(kb))
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	f()
	wall := time.Since(start)
	close(stop)
	<-sampled
	return measurement{wall: wall, beforeKB: before, peakKB: int(peak.Load())}
}

// waitSynced polls the connection until its sync ends, failing on an
// error status.
func waitSynced(t *testing.T, svc *connectors.Service, userID, id uuid.UUID, limit time.Duration) connectors.Connection {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		c, err := svc.Get(context.Background(), userID, id)
		if err != nil {
			t.Fatal(err)
		}
		switch c.Status {
		case store.ConnectorIdle:
			return c
		case store.ConnectorError:
			t.Fatalf("sync failed: %s: %s", c.ErrorCode, c.Error)
		}
		if time.Now().After(deadline) {
			t.Fatalf("sync not done after %v: %+v", limit, c)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// discardSink counts what it is given and keeps nothing.
type discardSink struct{ mails, batches int }

func (s *discardSink) Apply(_ context.Context, b connectors.Batch) error {
	s.batches++
	s.mails += len(b.Mail)
	return nil
}

// sourceFunc is a Source made of its Sync.
type sourceFunc func(ctx context.Context, cursor []byte, sink connectors.Sink) error

func (f sourceFunc) Sync(ctx context.Context, cursor []byte, sink connectors.Sink) error {
	return f(ctx, cursor, sink)
}

// syncTimes adds up how long the Service's sink took over the batches of
// the syncs it wraps, and how long those syncs took in all.
type syncTimes struct {
	mu            sync.Mutex
	synced        time.Duration
	applied       time.Duration
	batchesStored int
}

func (s *syncTimes) wrap(next connectors.Sink) connectors.Sink {
	return sinkFunc(func(ctx context.Context, b connectors.Batch) error {
		start := time.Now()
		err := next.Apply(ctx, b)
		s.mu.Lock()
		s.applied += time.Since(start)
		s.batchesStored++
		s.mu.Unlock()
		return err
	})
}

func (s *syncTimes) addSync(d time.Duration) {
	s.mu.Lock()
	s.synced += d
	s.mu.Unlock()
}

func (s *syncTimes) totals() (synced, applied time.Duration, batches int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.synced, s.applied, s.batchesStored
}

// sinkFunc is a Sink made of its Apply.
type sinkFunc func(ctx context.Context, b connectors.Batch) error

func (f sinkFunc) Apply(ctx context.Context, b connectors.Batch) error { return f(ctx, b) }

// timedEmbedder passes requests on and adds up how long they took.
type timedEmbedder struct {
	next connectors.Embedder

	mu           sync.Mutex
	calls, texts int
	waited       time.Duration
}

func (e *timedEmbedder) Embed(ctx context.Context, model string, texts []string) ([][]float32, error) {
	start := time.Now()
	out, err := e.next.Embed(ctx, model, texts)
	e.mu.Lock()
	e.calls++
	e.texts += len(texts)
	e.waited += time.Since(start)
	e.mu.Unlock()
	return out, err
}

func (e *timedEmbedder) totals() (calls, texts int, waited time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls, e.texts, e.waited
}

// loopbackDial is the baseline Source's Dialer: dovecot is on loopback.
func loopbackDial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// benchCorpus builds n varied messages, deterministically: plain text of
// many lengths, HTML alternatives, quoted-printable with accents, one in
// ten with a 30 KB attachment, and one in fifty a message of the mail
// parser's corpus (odd charsets, broken MIME). Message 4242 is a
// "Quarterly report" the test searches for. It returns the messages and
// their total size.
func benchCorpus(t *testing.T, n int) ([][]byte, int) {
	t.Helper()
	files, err := filepath.Glob("mailparse/testdata/*.eml")
	if err != nil || len(files) < 5 {
		t.Fatalf("mail parser corpus: %v (%d files)", err, len(files))
	}
	var odd [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		odd = append(odd, b)
	}
	words := strings.Fields("budget garden meeting orchard invoice travel school contract harvest kitchen " +
		"project deadline review lunch weekend doctor insurance apartment lease ticket concert " +
		"flight hotel receipt payroll holiday birthday recipe bicycle repair plumber quarterly " +
		"report minutes agenda proposal draft summary newsletter library volunteer")
	rng := rand.New(rand.NewPCG(8, 10_000))
	sentence := func() string {
		k := 6 + rng.IntN(10)
		ws := make([]string, k)
		for i := range ws {
			ws[i] = words[rng.IntN(len(words))]
		}
		return strings.ToUpper(ws[0][:1]) + strings.Join(ws, " ")[1:] + ". "
	}
	paragraphs := func(k int) string {
		var b strings.Builder
		for range k {
			for range 2 + rng.IntN(5) {
				b.WriteString(sentence())
			}
			b.WriteString("\r\n\r\n")
		}
		return b.String()
	}
	attachment := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("attachment bytes ", 1800)))
	var att strings.Builder
	for len(attachment) > 76 {
		att.WriteString(attachment[:76] + "\r\n")
		attachment = attachment[76:]
	}
	att.WriteString(attachment + "\r\n")

	out := make([][]byte, n)
	total := 0
	for i := range out {
		if i%50 == 49 {
			out[i] = odd[(i/50)%len(odd)]
			total += len(out[i])
			continue
		}
		subject := fmt.Sprintf("%s %s %d", strings.ToUpper(words[i%len(words)][:1])+words[i%len(words)][1:], words[(i/7)%len(words)], i)
		if i == 4242 {
			subject = "Quarterly report 4242"
		}
		head := fmt.Sprintf("From: Sender %d <s%d@example.org>\r\nTo: alice@example.org\r\nSubject: %s\r\n"+
			"Message-ID: <sync%d@example.org>\r\nDate: %s\r\nMIME-Version: 1.0\r\n",
			i%200, i%200, subject, i, time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(i)*37*time.Minute).Format(time.RFC1123Z))
		body := paragraphs(1 + rng.IntN(8))
		var msg string
		switch i % 10 {
		case 9:
			msg = head + "Content-Type: multipart/mixed; boundary=mix\r\n\r\n--mix\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body +
				"--mix\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=report.pdf\r\n" +
				"Content-Transfer-Encoding: base64\r\n\r\n" + att.String() + "--mix--\r\n"
		case 6, 7:
			html := "<html><body><p>" + strings.ReplaceAll(body, "\r\n\r\n", "</p>\r\n<p>") +
				"<a href=\"https://example.org/\">link</a></p></body></html>"
			msg = head + "Content-Type: multipart/alternative; boundary=alt\r\n\r\n--alt\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body +
				"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n--alt--\r\n"
		case 8:
			msg = head + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
				"Gr=C3=BC=C3=9Fe aus M=C3=BCnchen, caf=C3=A9 cr=C3=A8me.\r\n\r\n" + body
		default:
			msg = head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body
		}
		out[i] = []byte(msg)
		total += len(msg)
	}
	return out, total
}
