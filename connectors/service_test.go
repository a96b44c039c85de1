package connectors_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"confidant/connectors"
	"confidant/inference"
	"confidant/inference/simbackend"
	"confidant/internal/testdb"
	"confidant/store"
)

// scriptSource is a test-only Source over a fixed mailbox and calendar: it
// resumes from its cursor (the index of the next message), hands out
// batches of batchSize, and fails where failures says.
type scriptSource struct {
	mu        sync.Mutex
	mail      []connectors.Mail
	events    []connectors.Event
	batchSize int
	// failures maps a call number (1-based) to the batch index after which
	// that call fails, with err.
	failures map[int]int
	err      error
	block    chan struct{} // when set, Sync waits on it (or its context)
	calls    int
	cursors  []string // the cursor each call started from
	started  chan struct{}
}

func (s *scriptSource) Sync(ctx context.Context, cursor []byte, sink connectors.Sink) error {
	s.mu.Lock()
	s.calls++
	call := s.calls
	s.cursors = append(s.cursors, string(cursor))
	failAfter, fails := s.failures[call]
	block, started := s.block, s.started
	s.mu.Unlock()
	if started != nil {
		started <- struct{}{}
	}
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	next := 0
	if len(cursor) > 0 {
		n, err := strconv.Atoi(string(cursor))
		if err != nil {
			return err
		}
		next = n
	}
	for batch := 0; next < len(s.mail) || (next == 0 && batch == 0); batch++ {
		if fails && batch == failAfter {
			return s.err
		}
		end := min(next+s.batchSize, len(s.mail))
		b := connectors.Batch{Mail: s.mail[next:end], Cursor: []byte(strconv.Itoa(end)), Progress: connectors.Progress{Done: end, Total: len(s.mail)}}
		if next == 0 {
			b.Events = s.events
		}
		if err := sink.Apply(ctx, b); err != nil {
			return err
		}
		next = end
		if len(s.mail) == 0 {
			break
		}
	}
	return nil
}

func (s *scriptSource) state() (int, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls, append([]string(nil), s.cursors...)
}

func mailbox(n int) []connectors.Mail {
	var out []connectors.Mail
	for i := range n {
		out = append(out, connectors.Mail{Resource: fmt.Sprintf("INBOX/7/%d", i+1), Folder: "INBOX", From: "Bob <bob@example.org>",
			Subject: fmt.Sprintf("message number %d", i+1), Date: time.Date(2026, 11, 1, 9, i, 0, 0, time.UTC), Text: fmt.Sprintf("body %d", i+1)})
	}
	return out
}

type harness struct {
	svc  *connectors.Service
	st   *store.Store
	pool *pgxpool.Pool
	user uuid.UUID
}

func simEmbedder(t *testing.T) *inference.Client {
	t.Helper()
	srv := httptest.NewServer(simbackend.New(simbackend.Options{}))
	t.Cleanup(srv.Close)
	c, err := inference.New(inference.Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newHarness(t *testing.T, src connectors.Source, opt connectors.Options) *harness {
	t.Helper()
	pool := testdb.New(t)
	kr, reg := testdb.Keys(t)
	st := store.New(pool, kr, reg)
	user := store.User{ID: uuid.New(), Username: "syncer", DisplayName: "Syncer", CreatedAt: time.Now()}
	if err := st.CreateUser(context.Background(), user); err != nil {
		t.Fatal(err)
	}
	factory := func(connectors.Settings, connectors.Dialer, connectors.TokenSaver) (connectors.Source, error) {
		return src, nil
	}
	opt.Factories = map[connectors.Kind]connectors.SourceFactory{connectors.KindIMAP: factory, connectors.KindCalDAV: factory}
	opt.PollInterval = 50 * time.Millisecond
	if opt.RetryDelay == 0 {
		opt.RetryDelay = 100 * time.Millisecond
	}
	if opt.MinInterval == 0 {
		opt.MinInterval = time.Hour
	}
	if !opt.AllowPrivate && opt.Resolver == nil {
		opt.AllowPrivate = true
	}
	svc, err := connectors.NewService(pool, st, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = svc.Stop(ctx)
	})
	return &harness{svc: svc, st: st, pool: pool, user: user.ID}
}

var imapSettings = connectors.Settings{Kind: connectors.KindIMAP, Host: "imap.example.org", Security: connectors.SecurityTLS, Username: "alice", Password: "app-password"}

func (h *harness) connect(t *testing.T) connectors.Connection {
	t.Helper()
	c, err := h.svc.Connect(context.Background(), h.user, imapSettings)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitFor polls the connection until cond holds.
func (h *harness) waitFor(t *testing.T, id uuid.UUID, what string, cond func(connectors.Connection) bool) connectors.Connection {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := h.svc.Get(context.Background(), h.user, id)
		if err != nil {
			t.Fatal(err)
		}
		if cond(c) {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: connection is %+v", what, c)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func (h *harness) rows(t *testing.T, table string, id uuid.UUID) int {
	t.Helper()
	var n int
	if err := h.pool.QueryRow(context.Background(), `SELECT count(*) FROM `+table+` WHERE connector_id = $1`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitJobsDone waits until no sync job is running: a connector turns idle
// just before its job is marked completed, and a sync asked for in
// between coalesces into the finishing job.
func (h *harness) waitJobsDone(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var running int
		if err := h.pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'connector_sync' AND state IN ('running', 'available')`).Scan(&running); err != nil {
			t.Fatal(err)
		}
		if running == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sync jobs still running", running)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func idle(c connectors.Connection) bool { return c.Status == store.ConnectorIdle }

func TestSyncResumesWhereItStopped(t *testing.T) {
	t.Parallel()
	src := &scriptSource{mail: mailbox(10), batchSize: 3, failures: map[int]int{1: 2},
		err: &connectors.Error{Code: "unreachable", Message: "The server closed the connection.", Retry: true},
		events: []connectors.Event{
			{Resource: "cal/a.ics", Summary: "Dentist", Start: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 3, 11, 0, 0, 0, time.UTC)},
			{Resource: "cal/b.ics", Summary: "Standup", Recurring: true, Start: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 4, 9, 15, 0, 0, time.UTC)},
			{Resource: "cal/b.ics", Summary: "Standup", Recurring: true, Start: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 5, 9, 15, 0, 0, time.UTC)},
		}}
	h := newHarness(t, src, connectors.Options{Embedder: simEmbedder(t)})
	c := h.connect(t)
	if c.Status != store.ConnectorSyncing || c.Name != "alice on imap.example.org" || fmt.Sprint(c.Capabilities) != "[read propose]" {
		t.Fatalf("new connection = %+v", c)
	}
	done := h.waitFor(t, c.ID, "idle after the retry", idle)
	calls, cursors := src.state()
	// The first try stored two batches (6 messages) and dropped; the
	// second started from the cursor after them, not from the start.
	if calls != 2 || fmt.Sprint(cursors) != "[ 6]" {
		t.Fatalf("calls = %d, cursors = %q", calls, cursors)
	}
	if done.Items != 13 || h.rows(t, "connector_mail", c.ID) != 10 || h.rows(t, "connector_events", c.ID) != 3 {
		t.Fatalf("items = %d, mail rows = %d, event rows = %d", done.Items, h.rows(t, "connector_mail", c.ID), h.rows(t, "connector_events", c.ID))
	}
	if done.LastSync == nil || done.Error != "" || done.Progress != (connectors.Progress{Done: 10, Total: 10}) {
		t.Fatalf("done = %+v", done)
	}
	ctx := context.Background()
	found, err := h.svc.SearchMail(ctx, h.user, "message number 7", 3)
	if err != nil || len(found) == 0 || found[0].Subject != "message number 7" || found[0].ConnectorID != c.ID {
		t.Fatalf("search = %+v, %v", found, err)
	}
	one, err := h.svc.Mail(ctx, h.user, found[0].ID)
	if err != nil || one.Text != "body 7" || !one.Date.Equal(time.Date(2026, 11, 1, 9, 6, 0, 0, time.UTC)) {
		t.Fatalf("mail = %+v, %v", one, err)
	}
	evs, err := h.svc.Events(ctx, h.user, time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC))
	if err != nil || len(evs) != 2 || evs[0].Summary != "Standup" || !evs[1].Start.Equal(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("events = %+v, %v", evs, err)
	}
	infos, err := h.svc.Connected(ctx, h.user)
	if err != nil || len(infos) != 1 || infos[0].ID != c.ID {
		t.Fatalf("connected = %+v, %v", infos, err)
	}
	// Another user sees none of it.
	other := uuid.New()
	if _, err := h.svc.Mail(ctx, other, found[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user's Mail: %v", err)
	}
	if _, err := h.svc.Get(ctx, other, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user's Get: %v", err)
	}
}

func TestWrongPasswordIsNotRetried(t *testing.T) {
	t.Parallel()
	src := &scriptSource{mail: mailbox(2), batchSize: 5, failures: map[int]int{1: 0, 2: 0},
		err: &connectors.Error{Code: "auth_failed", Message: "The server refused the user name or password.", Retry: false}}
	h := newHarness(t, src, connectors.Options{})
	c := h.connect(t)
	failed := h.waitFor(t, c.ID, "error", func(c connectors.Connection) bool { return c.Status == store.ConnectorError })
	if failed.ErrorCode != "auth_failed" || failed.Error != "The server refused the user name or password." || failed.Items != 0 {
		t.Fatalf("failed = %+v", failed)
	}
	time.Sleep(500 * time.Millisecond) // several retry delays
	if calls, _ := src.state(); calls != 1 {
		t.Fatalf("a wrong password was tried %d times", calls)
	}
	// The person fixes it at the server and asks again: it syncs.
	if err := h.svc.Sync(context.Background(), h.user, c.ID); err != nil {
		t.Fatal(err)
	}
	src.mu.Lock()
	src.failures = nil
	src.mu.Unlock()
	done := h.waitFor(t, c.ID, "idle", idle)
	if done.Items != 2 || done.Error != "" || done.ErrorCode != "" {
		t.Fatalf("after fixing: %+v", done)
	}
}

func TestSyncCoalescesAndRespectsTheMinimumInterval(t *testing.T) {
	t.Parallel()
	src := &scriptSource{mail: mailbox(3), batchSize: 5, block: make(chan struct{}), started: make(chan struct{}, 10)}
	h := newHarness(t, src, connectors.Options{MinInterval: time.Hour})
	c := h.connect(t)
	<-src.started
	ctx := context.Background()
	for range 3 { // while the first sync runs
		if err := h.svc.Sync(ctx, h.user, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	close(src.block)
	h.waitFor(t, c.ID, "idle", idle)
	h.waitJobsDone(t)
	for range 2 { // right after it: scheduled an hour later, not run now
		if err := h.svc.Sync(ctx, h.user, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(500 * time.Millisecond)
	if calls, _ := src.state(); calls != 1 {
		t.Fatalf("source synced %d times, want 1", calls)
	}
	var queued int
	if err := h.pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'connector_sync' AND state = 'scheduled' AND scheduled_at > now() + interval '50 minutes'`).Scan(&queued); err != nil || queued != 1 {
		t.Fatalf("scheduled syncs = %d, %v; want the one, an hour after the last", queued, err)
	}
	if got, _ := h.svc.Get(ctx, h.user, c.ID); got.Status != store.ConnectorIdle {
		t.Fatalf("status while the next sync waits = %s", got.Status)
	}
}

func TestPeriodicIncrementalSync(t *testing.T) {
	t.Parallel()
	src := &scriptSource{mail: mailbox(4), batchSize: 10}
	h := newHarness(t, src, connectors.Options{SyncInterval: time.Second, MinInterval: time.Millisecond})
	c := h.connect(t)
	h.waitFor(t, c.ID, "first sync", idle)
	deadline := time.Now().Add(30 * time.Second)
	for {
		calls, cursors := src.state()
		if calls >= 2 {
			if cursors[1] != "4" {
				t.Fatalf("the periodic sync started from %q, want the stored cursor 4", cursors[1])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no periodic sync within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := h.waitFor(t, c.ID, "idle", idle); got.Items != 4 {
		t.Fatalf("items after an incremental sync = %d", got.Items)
	}
}

func TestDisconnectStopsTheSyncAndDeletesEverything(t *testing.T) {
	t.Parallel()
	src := &scriptSource{mail: mailbox(4), batchSize: 2, started: make(chan struct{}, 10)}
	h := newHarness(t, src, connectors.Options{MinInterval: time.Millisecond})
	c := h.connect(t)
	<-src.started
	h.waitFor(t, c.ID, "idle", idle)
	h.waitJobsDone(t)
	src.mu.Lock()
	src.block = make(chan struct{}) // the next sync hangs until cancelled
	src.mu.Unlock()
	ctx := context.Background()
	if err := h.svc.Sync(ctx, h.user, c.ID); err != nil {
		t.Fatal(err)
	}
	<-src.started
	if err := h.svc.Disconnect(ctx, h.user, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Get(ctx, h.user, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("connection after disconnect: %v", err)
	}
	if h.rows(t, "connector_mail", c.ID) != 0 {
		t.Fatal("mail of a disconnected account remains")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var open int
		if err := h.pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'connector_sync' AND state NOT IN ('cancelled', 'completed', 'discarded')`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sync jobs still open after disconnect", open)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := h.svc.Disconnect(ctx, h.user, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second disconnect: %v", err)
	}
}

// revokingSource records that Disconnect revoked its credentials.
type revokingSource struct {
	scriptSource
	revoked chan struct{}
}

func (r *revokingSource) Revoke(context.Context) error {
	close(r.revoked)
	return errors.New("provider down")
}

func TestDisconnectRevokesFirst(t *testing.T) {
	t.Parallel()
	src := &revokingSource{scriptSource: scriptSource{mail: mailbox(1), batchSize: 1}, revoked: make(chan struct{})}
	h := newHarness(t, src, connectors.Options{})
	c := h.connect(t)
	h.waitFor(t, c.ID, "idle", idle)
	if err := h.svc.Disconnect(context.Background(), h.user, c.ID); err != nil {
		t.Fatalf("a failed revocation must not keep the credentials: %v", err)
	}
	select {
	case <-src.revoked:
	default:
		t.Fatal("Revoke was not called")
	}
}

// staticResolver answers every name with one address.
type staticResolver string

func (r staticResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr(string(r))}, nil
}

func TestConnectValidation(t *testing.T) {
	t.Parallel()
	src := &scriptSource{batchSize: 1}
	strict := newHarness(t, src, connectors.Options{Resolver: staticResolver("93.184.216.34")})
	intranet := newHarness(t, src, connectors.Options{Resolver: staticResolver("10.1.2.3")})
	simulated := newHarness(t, src, connectors.Options{AllowPrivate: true, Resolver: staticResolver("10.1.2.3")})
	imap := func(host string, port int, sec connectors.Security) connectors.Settings {
		return connectors.Settings{Kind: connectors.KindIMAP, Host: host, Port: port, Security: sec, Username: "alice", Password: "pw"}
	}
	tests := []struct {
		name      string
		h         *harness
		in        connectors.Settings
		wantCode  string
		wantField string
	}{
		{"imap ok", strict, imap("imap.example.org", 0, ""), "", ""},
		{"unknown kind", strict, connectors.Settings{Kind: "pop3", Host: "x"}, connectors.CodeUnknownKind, "kind"},
		{"no host", strict, imap("", 993, "tls"), connectors.CodeInvalidSettings, "host"},
		{"host with scheme", strict, imap("imaps://imap.example.org", 993, "tls"), connectors.CodeInvalidSettings, "host"},
		{"bad port", strict, imap("imap.example.org", 70000, "tls"), connectors.CodeInvalidSettings, "port"},
		{"bad security", strict, imap("imap.example.org", 993, "ssl"), connectors.CodeInvalidSettings, "security"},
		{"no password", strict, connectors.Settings{Kind: connectors.KindIMAP, Host: "imap.example.org", Username: "alice"}, connectors.CodeInvalidSettings, "password"},
		{"no user", strict, connectors.Settings{Kind: connectors.KindIMAP, Host: "imap.example.org", Password: "pw"}, connectors.CodeInvalidSettings, "username"},
		{"plain text to a remote host", simulated, imap("imap.example.org", 143, "none"), connectors.CodePlaintextRefused, "security"},
		{"plain text to loopback when simulated", simulated, imap("127.0.0.1", 143, "none"), "", ""},
		{"loopback literal when strict", strict, imap("127.0.0.1", 993, "tls"), connectors.CodeAddressRefused, "host"},
		{"name resolving to a private address", intranet, imap("mail.corp.example", 993, "tls"), connectors.CodeAddressRefused, "host"},
		{"private address when simulated", simulated, imap("mail.corp.example", 993, "tls"), "", ""},
		{"metadata service", strict, imap("169.254.169.254", 993, "tls"), connectors.CodeAddressRefused, "host"},
		{"caldav ok", strict, connectors.Settings{Kind: connectors.KindCalDAV, URL: "https://dav.example.org/cal/", Username: "a", Password: "b"}, "", ""},
		{"caldav not a url", strict, connectors.Settings{Kind: connectors.KindCalDAV, URL: "dav.example.org", Username: "a", Password: "b"}, connectors.CodeInvalidSettings, "url"},
		{"caldav plain http", simulated, connectors.Settings{Kind: connectors.KindCalDAV, URL: "http://dav.example.org/", Username: "a", Password: "b"}, connectors.CodePlaintextRefused, "url"},
		{"caldav credentials in the url", strict, connectors.Settings{Kind: connectors.KindCalDAV, URL: "https://a:b@dav.example.org/", Username: "a", Password: "b"}, connectors.CodeInvalidSettings, "url"},
		{"caldav to an intranet", intranet, connectors.Settings{Kind: connectors.KindCalDAV, URL: "https://dav.corp.example/", Username: "a", Password: "b"}, connectors.CodeAddressRefused, "url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.h.svc.Connect(context.Background(), tt.h.user, tt.in)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ie *connectors.InputError
			if !errors.As(err, &ie) || ie.Code != tt.wantCode || ie.Field != tt.wantField || ie.Message == "" {
				t.Fatalf("err = %#v, want code %s on %s", err, tt.wantCode, tt.wantField)
			}
		})
	}
}

func TestSyncNowSkipsTheBackoff(t *testing.T) {
	t.Parallel()
	src := &scriptSource{mail: mailbox(3), batchSize: 2, failures: map[int]int{1: 1},
		err: &connectors.Error{Code: "unreachable", Message: "The server closed the connection.", Retry: true}}
	h := newHarness(t, src, connectors.Options{RetryDelay: time.Hour})
	c := h.connect(t)
	failed := h.waitFor(t, c.ID, "error", func(c connectors.Connection) bool { return c.Status == store.ConnectorError })
	if failed.ErrorCode != "unreachable" || failed.Items != 2 {
		t.Fatalf("failed = %+v", failed)
	}
	h.waitJobsDone(t)
	// The retry waits an hour; the person asks now, and it runs now, from
	// where the first try stopped.
	if err := h.svc.Sync(context.Background(), h.user, c.ID); err != nil {
		t.Fatal(err)
	}
	done := h.waitFor(t, c.ID, "idle", idle)
	if calls, cursors := src.state(); calls != 2 || fmt.Sprint(cursors) != "[ 2]" || done.Items != 3 {
		t.Fatalf("calls = %d, cursors = %q, items = %d", calls, cursors, done.Items)
	}
}

// refreshingSource stands for an OAuth source: its sync refreshes the
// access token and reports it through the TokenSaver.
type refreshingSource struct {
	settings connectors.Settings
	save     connectors.TokenSaver
}

func (r *refreshingSource) Sync(ctx context.Context, _ []byte, _ connectors.Sink) error {
	r.settings.AccessToken = "fresh-token"
	r.settings.TokenExpiry = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	return r.save(ctx, r.settings)
}

func TestRefreshedTokensAreKept(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	kr, reg := testdb.Keys(t)
	st := store.New(pool, kr, reg)
	user := store.User{ID: uuid.New(), Username: "oauth", DisplayName: "O", CreatedAt: time.Now()}
	if err := st.CreateUser(context.Background(), user); err != nil {
		t.Fatal(err)
	}
	seen := make(chan connectors.Settings, 10)
	factory := func(s connectors.Settings, _ connectors.Dialer, save connectors.TokenSaver) (connectors.Source, error) {
		seen <- s
		return &refreshingSource{settings: s, save: save}, nil
	}
	svc, err := connectors.NewService(pool, st, connectors.Options{Factories: map[connectors.Kind]connectors.SourceFactory{connectors.KindGmail: factory},
		PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop(context.Background()) })
	c, err := svc.Connect(context.Background(), user.ID, connectors.Settings{Kind: connectors.KindGmail, AccessToken: "old-token", RefreshToken: "refresh", Account: "me@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "me@example.org" {
		t.Fatalf("name = %q", c.Name)
	}
	if first := <-seen; first.AccessToken != "old-token" {
		t.Fatalf("first sync got %q", first.AccessToken)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ := svc.Get(context.Background(), user.ID, c.ID)
		if got.Status == store.ConnectorIdle {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never idle: %+v", got)
		}
		time.Sleep(30 * time.Millisecond)
	}
	if _, _, err := svc.Open(context.Background(), user.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	if next := <-seen; next.AccessToken != "fresh-token" || !next.TokenExpiry.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) || next.RefreshToken != "refresh" {
		t.Fatalf("settings after the refresh = %+v", next)
	}
	if _, _, err := svc.Open(context.Background(), uuid.New(), c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another user's Open: %v", err)
	}
}
