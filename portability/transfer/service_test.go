package transfer

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/enclave/evidence"
	"confidant/internal/testdb"
	"confidant/store"
)

// importLog is a stand-in importer: it keeps what a user was given, and
// fails a bundle that starts with "fail".
type importLog struct {
	mu    sync.Mutex
	calls int
	got   map[uuid.UUID][]byte
}

func (l *importLog) Import(_ context.Context, userID uuid.UUID, r io.Reader) (string, error) {
	b, err := io.ReadAll(r)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if err != nil {
		return "", err
	}
	if bytes.HasPrefix(b, []byte("fail")) {
		return "", errors.New("stand-in importer refuses this bundle")
	}
	if l.got == nil {
		l.got = map[uuid.UUID][]byte{}
	}
	l.got[userID] = b
	return "1 bundle", nil
}

type destination struct {
	svc   *Service
	store *store.Store
	user  uuid.UUID
	imp   *importLog
	now   *time.Time
}

func newDestination(t *testing.T, allowSimulated bool) *destination {
	t.Helper()
	st := testdb.NewStore(t)
	u := store.User{ID: uuid.New(), Username: "dest", DisplayName: "Dest", CreatedAt: time.Now()}
	if err := st.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	d := &destination{store: st, user: u.ID, imp: &importLog{}, now: &now}
	d.svc = New(Config{Store: st, Reporter: simulatedReporter(t), Seed: testSeed, Origin: testOrigin, Verifier: evidence.New(evidence.Config{}),
		Simulated: true, AllowSimulated: allowSimulated, Import: d.imp.Import, TempDir: t.TempDir(), Now: func() time.Time { return *d.now }})
	return d
}

// create starts a transfer and returns its id and upload token.
func (d *destination) create(t *testing.T) (uuid.UUID, string) {
	t.Helper()
	c, err := d.svc.Create(context.Background(), d.user, "https://source.example/some/page")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(c.Next)
	if err != nil || u.Host != "source.example" || u.Path != "/transfer/out" || u.Query().Get("to") != testOrigin || u.Query().Get("id") != c.ID.String() {
		t.Fatalf("next = %s", c.Next)
	}
	return c.ID, u.Query().Get("token")
}

func (d *destination) sealFor(t *testing.T, id uuid.UUID, plain []byte) []byte {
	t.Helper()
	o, err := d.svc.Offer(context.Background(), id, newNonce())
	if err != nil {
		t.Fatal(err)
	}
	if o.Account != "dest" {
		t.Fatalf("offer account = %q", o.Account)
	}
	pub, err := ParsePublicKey(mustHex(t, o.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Seal(&out, pub, id, o.Origin, bytes.NewReader(plain), nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func (d *destination) state(t *testing.T, id uuid.UUID) store.TransferIn {
	t.Helper()
	tr, err := d.svc.Incoming(context.Background(), d.user, id)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestReceiveImportsOnce(t *testing.T) {
	t.Parallel()
	d := newDestination(t, true)
	ctx := context.Background()
	id, token := d.create(t)
	plain := make([]byte, 3*ChunkSize+5)
	rand.Read(plain)
	stream := d.sealFor(t, id, plain)

	if err := d.svc.Receive(ctx, Upload{ID: id, Token: "wrong", Body: bytes.NewReader(stream)}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("wrong token: err = %v", err)
	}
	if st := d.state(t, id); st.State != store.TransferOffered {
		t.Fatalf("a wrong token moved the transfer to %s", st.State)
	}
	if err := d.svc.Receive(ctx, Upload{ID: id, Token: token, SourceSimulated: true, Body: bytes.NewReader(stream)}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(d.imp.got[d.user], plain) {
		t.Fatal("the importer did not get the bundle")
	}
	st := d.state(t, id)
	if st.State != store.TransferDone || st.Result != "1 bundle" || st.BytesReceived != int64(len(plain)) || st.Source != "https://source.example" {
		t.Fatalf("transfer = %+v", st)
	}
	// The same upload again: the token is spent.
	if err := d.svc.Receive(ctx, Upload{ID: id, Token: token, Body: bytes.NewReader(stream)}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("replayed upload: err = %v", err)
	}
	if d.imp.calls != 1 {
		t.Fatalf("importer called %d times", d.imp.calls)
	}
	if _, err := d.svc.Offer(ctx, id, newNonce()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("offer of a finished transfer: err = %v", err)
	}
}

// A stream that does not authenticate to the end imports nothing: the
// importer is never called, and the transfer fails.
func TestReceiveRefusesBadStreams(t *testing.T) {
	t.Parallel()
	d := newDestination(t, true)
	ctx := context.Background()
	plain := make([]byte, 2*ChunkSize+9)
	rand.Read(plain)
	otherID, _ := d.create(t)
	tests := []struct {
		name   string
		stream func(id uuid.UUID) []byte
		want   error
	}{
		{"truncated", func(id uuid.UUID) []byte { s := d.sealFor(t, id, plain); return s[:len(s)-ChunkSize/2] }, ErrTruncated},
		{"tampered", func(id uuid.UUID) []byte { s := d.sealFor(t, id, plain); s[len(s)/2] ^= 1; return s }, ErrTampered},
		{"reordered", func(id uuid.UUID) []byte {
			head, fs := frames(t, d.sealFor(t, id, plain))
			return join(head, fs[1], fs[0], fs[2])
		}, ErrTampered},
		{"sealed to another transfer", func(uuid.UUID) []byte { return d.sealFor(t, otherID, plain) }, ErrTampered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, token := d.create(t)
			err := d.svc.Receive(ctx, Upload{ID: id, Token: token, Body: bytes.NewReader(tt.stream(id))})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if st := d.state(t, id); st.State != store.TransferFailed || st.ErrorCode != CodeTampered {
				t.Fatalf("transfer = %s %s", st.State, st.ErrorCode)
			}
		})
	}
	if d.imp.calls != 0 {
		t.Fatalf("the importer was called %d times for streams that do not authenticate", d.imp.calls)
	}
}

func TestReceiveImportFailure(t *testing.T) {
	t.Parallel()
	d := newDestination(t, true)
	id, token := d.create(t)
	err := d.svc.Receive(context.Background(), Upload{ID: id, Token: token, Body: bytes.NewReader(d.sealFor(t, id, []byte("fail please")))})
	if err == nil {
		t.Fatal("a failed import reported success")
	}
	if st := d.state(t, id); st.State != store.TransferFailed || st.ErrorCode != CodeImport {
		t.Fatalf("transfer = %s %s", st.State, st.ErrorCode)
	}
}

func TestTransferExpires(t *testing.T) {
	t.Parallel()
	d := newDestination(t, true)
	ctx := context.Background()
	id, token := d.create(t)
	stream := d.sealFor(t, id, []byte("bundle"))
	*d.now = d.now.Add(TTL + time.Second)
	if _, err := d.svc.Offer(ctx, id, newNonce()); !errors.Is(err, ErrExpired) {
		t.Fatalf("offer after expiry: err = %v", err)
	}
	if err := d.svc.Receive(ctx, Upload{ID: id, Token: token, Body: bytes.NewReader(stream)}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("upload after expiry: err = %v", err)
	}
	if d.imp.calls != 0 {
		t.Fatal("an expired transfer imported")
	}
}

// A destination without CONFIDANT_TRANSFER_ALLOW_SIMULATED refuses a
// source that says it is simulated.
func TestReceiveRefusesSimulatedSource(t *testing.T) {
	t.Parallel()
	d := newDestination(t, false)
	id, token := d.create(t)
	err := d.svc.Receive(context.Background(), Upload{ID: id, Token: token, SourceSimulated: true, Body: bytes.NewReader(d.sealFor(t, id, []byte("x")))})
	if !errors.Is(err, ErrSimulatedPeer) {
		t.Fatalf("err = %v", err)
	}
	if st := d.state(t, id); st.State != store.TransferFailed || st.ErrorCode != CodeSimulated || d.imp.calls != 0 {
		t.Fatalf("transfer = %s %s, imports %d", st.State, st.ErrorCode, d.imp.calls)
	}
}

func TestCreateRefuses(t *testing.T) {
	t.Parallel()
	d := newDestination(t, true)
	for _, src := range []string{"", "ftp://x.example", "not a url", testOrigin + "/", "https://user:pw@x.example"} {
		if _, err := d.svc.Create(context.Background(), d.user, src); err == nil {
			t.Errorf("source %q accepted", src)
		}
	}
}
