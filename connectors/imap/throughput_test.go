package imap

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"confidant/connectors"
	"confidant/internal/procstat"
	"confidant/internal/testmail"
)

// TestThroughput measures a full sync of 10,000 messages from dovecot:
// messages per second and peak RSS of this process, against a baseline in
// the same run: go-imap fetching the same bytes (UID FETCH BODY.PEEK[]<0.N>
// in batches of 100) without parsing or batching. Run it with
//
//	CONFIDANT_BENCH=1 go test -count=1 -run TestThroughput -v ./connectors/imap
func TestThroughput(t *testing.T) {
	if os.Getenv("CONFIDANT_BENCH") != "1" {
		t.Skip("set CONFIDANT_BENCH=1 to measure sync throughput")
	}
	const n = 10_000
	srv := startServer(t, testmail.IMAPOptions{})
	msgs := make([][]byte, n)
	var total int
	for i := range msgs {
		msgs[i] = benchMessage(i)
		total += len(msgs[i])
	}
	srv.Deliver(t, testUser, msgs)
	msgs = nil
	t.Logf("corpus: %d messages, %.1f MB", n, float64(total)/1e6)

	s := newTestSource(t, srv.Addr(), testPassword)
	// Warm dovecot's index and page cache, so neither measured pass pays
	// for the first scan of the maildir.
	if got := bareFetch(t, srv.Addr(), s.maxFetch); got != n {
		t.Fatalf("warm-up fetched %d, want %d", got, n)
	}

	var baseCount int
	baseDur, basePeak := measure(func() { baseCount = bareFetch(t, srv.Addr(), s.maxFetch) })
	sink := &countingSink{seen: make(map[string]bool, n)}
	var syncErr error
	syncDur, syncPeak := measure(func() { syncErr = s.Sync(context.Background(), nil, sink) })
	if syncErr != nil {
		t.Fatalf("Sync: %v", syncErr)
	}
	if baseCount != n || sink.mails != n || sink.dups != 0 {
		t.Fatalf("baseline fetched %d, sync delivered %d (%d duplicates), want %d", baseCount, sink.mails, sink.dups, n)
	}
	baseRate := float64(n) / baseDur.Seconds()
	syncRate := float64(n) / syncDur.Seconds()
	t.Logf("baseline (bare UID FETCH, no parsing): %6.0f msg/s, %v, peak RSS %d MiB", baseRate, baseDur.Round(time.Millisecond), basePeak/1024)
	t.Logf("imap.Source.Sync (parse + batches):    %6.0f msg/s, %v, peak RSS %d MiB, %d batches", syncRate, syncDur.Round(time.Millisecond), syncPeak/1024, sink.batches)
	t.Logf("sync/baseline throughput ratio: %.2f", syncRate/baseRate)
}

// measure runs f and returns its duration and the peak RSS (KiB) of this
// process while it ran, sampled every 5 ms.
func measure(f func()) (time.Duration, int) {
	runtime.GC()
	debug.FreeOSMemory()
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
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
	d := time.Since(start)
	close(stop)
	<-sampled
	return d, int(peak.Load())
}

// bareFetch reads every INBOX message's first maxFetch bytes with plain
// go-imap, as the baseline, and returns how many arrived.
func bareFetch(t *testing.T, addr string, maxFetch int64) int {
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(testUser, testPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	uids := data.AllUIDs()
	count := 0
	section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Size: maxFetch}}
	for i := 0; i < len(uids); i += 100 {
		cmd := c.Fetch(imap.UIDSetNum(uids[i:min(i+100, len(uids))]...), &imap.FetchOptions{
			UID: true, Flags: true, RFC822Size: true, InternalDate: true,
			BodySection: []*imap.FetchItemBodySection{section},
		})
		for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
			for item := msg.Next(); item != nil; item = msg.Next() {
				if body, ok := item.(imapclient.FetchItemDataBodySection); ok && body.Literal != nil {
					if _, err := io.Copy(io.Discard, body.Literal); err != nil {
						t.Fatal(err)
					}
					count++
				}
			}
		}
		if err := cmd.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return count
}

// countingSink counts what it is given and drops it, checking resources
// are unique.
type countingSink struct {
	mails, dups, batches int
	seen                 map[string]bool
}

func (s *countingSink) Apply(_ context.Context, b connectors.Batch) error {
	s.batches++
	for _, m := range b.Mail {
		if s.seen[m.Resource] {
			s.dups++
		}
		s.seen[m.Resource] = true
		s.mails++
	}
	return nil
}

// benchMessage builds message i of a mixed corpus: mostly plain text,
// some HTML alternatives, one in ten with a 30 KB attachment.
func benchMessage(i int) []byte {
	head := fmt.Sprintf("From: Sender %d <s%d@example.org>\r\nTo: alice@example.org\r\n"+
		"Subject: =?utf-8?q?Nachricht_Nr=2E_%d_=C3=BCber_das_Projekt?=\r\nMessage-ID: <bench%d@example.org>\r\n"+
		"Date: Mon, 3 Nov 2025 10:00:00 +0000\r\nMIME-Version: 1.0\r\n", i, i%50, i, i)
	para := strings.Repeat(fmt.Sprintf("Paragraph of message %d with some ordinary words in it. ", i), 4) + "\r\n\r\n"
	switch {
	case i%10 == 9:
		att := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("attachment bytes ", 1800)))
		var b strings.Builder
		for len(att) > 76 {
			b.WriteString(att[:76] + "\r\n")
			att = att[76:]
		}
		b.WriteString(att + "\r\n")
		return []byte(head + "Content-Type: multipart/mixed; boundary=mix\r\n\r\n--mix\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\n\r\n" + strings.Repeat(para, 3) +
			"--mix\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=report.pdf\r\n" +
			"Content-Transfer-Encoding: base64\r\n\r\n" + b.String() + "--mix--\r\n")
	case i%10 >= 6:
		return []byte(head + "Content-Type: multipart/alternative; boundary=alt\r\n\r\n--alt\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\n\r\n" + strings.Repeat(para, 4) +
			"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>" +
			strings.Repeat("<p>"+para+"<a href=\"https://example.org/\">link</a></p>", 4) + "</body></html>\r\n--alt--\r\n")
	default:
		return []byte(head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + strings.Repeat(para, 6))
	}
}
