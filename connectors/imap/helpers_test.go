package imap

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"confidant/connectors"
	"confidant/internal/testmail"
)

// recorder is the Sink of these tests: it keeps every batch in memory.
type recorder struct {
	mu      sync.Mutex
	batches []connectors.Batch
}

func (r *recorder) Apply(_ context.Context, b connectors.Batch) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, b)
	return nil
}

// cursor is the cursor of the last batch, where a next sync resumes.
func (r *recorder) cursor() []byte {
	if len(r.batches) == 0 {
		return nil
	}
	return r.batches[len(r.batches)-1].Cursor
}

// mails lists every Mail applied, in order.
func (r *recorder) mails() []connectors.Mail {
	var out []connectors.Mail
	for _, b := range r.batches {
		out = append(out, b.Mail...)
	}
	return out
}

func (r *recorder) removed() []string {
	var out []string
	for _, b := range r.batches {
		out = append(out, b.Removed...)
	}
	sort.Strings(out)
	return out
}

// byResource indexes mails by resource and fails on a duplicate.
func byResource(t *testing.T, mails []connectors.Mail) map[string]connectors.Mail {
	t.Helper()
	out := map[string]connectors.Mail{}
	for _, m := range mails {
		if _, dup := out[m.Resource]; dup {
			t.Errorf("resource %s delivered twice", m.Resource)
		}
		out[m.Resource] = m
	}
	return out
}

const (
	testUser     = "alice"
	testPassword = "s3cret pass"
)

func startServer(t *testing.T, opts testmail.IMAPOptions) *testmail.IMAP {
	t.Helper()
	if opts.Users == nil {
		opts.Users = map[string]string{testUser: testPassword}
	}
	return testmail.StartIMAP(t, opts)
}

// plainDial is the test's Dialer: loopback is what the tests use.
func plainDial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// newTestSource returns a Source for addr ("host:port") over plain text.
func newTestSource(t *testing.T, addr, password string) *Source {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	s, err := newSource(connectors.Settings{
		Kind: connectors.KindIMAP, Host: host, Port: p, Security: connectors.SecurityNone,
		Username: testUser, Password: password,
	}, plainDial)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func syncOnce(t *testing.T, s *Source, cursor []byte) *recorder {
	t.Helper()
	rec := &recorder{}
	if err := s.Sync(context.Background(), cursor, rec); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return rec
}

// corpus reads the mail parser's test messages.
func corpus(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("../mailparse/testdata/*.eml")
	if err != nil || len(files) < 5 {
		t.Fatalf("corpus: %v (%d files)", err, len(files))
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

// numbered builds a simple message with a recognizable subject.
func numbered(i int, bodyBytes int) []byte {
	body := strings.Repeat(fmt.Sprintf("line of message %d\r\n", i), bodyBytes/20+1)
	return []byte(fmt.Sprintf("From: Sender %d <s%d@example.org>\r\nTo: alice@example.org\r\n"+
		"Subject: message %d\r\nMessage-ID: <m%d@example.org>\r\nDate: Mon, 3 Nov 2025 10:00:00 +0000\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\n%s", i, i, i, i, body))
}

func connErr(t *testing.T, err error) *connectors.Error {
	t.Helper()
	ce, ok := err.(*connectors.Error)
	if !ok {
		t.Fatalf("error %T %v, want *connectors.Error", err, err)
	}
	return ce
}

// listenAndClose returns a loopback address where nothing listens.
func listenAndClose(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
