package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/internal/softauthn"
	"confidant/internal/testclient"
	"confidant/internal/testserver"
)

// bundles is a stand-in exporter and importer for the protocol tests: it
// exports a random bundle per user and keeps what was imported.
type bundles struct {
	mu       sync.Mutex
	exported map[uuid.UUID][]byte
	imported map[uuid.UUID][]byte
}

func newBundles() *bundles {
	return &bundles{exported: map[uuid.UUID][]byte{}, imported: map[uuid.UUID][]byte{}}
}

func (b *bundles) Export(_ context.Context, userID uuid.UUID, w io.Writer) error {
	b.mu.Lock()
	data, ok := b.exported[userID]
	if !ok {
		data = make([]byte, 200<<10) // several chunks
		rand.Read(data)
		b.exported[userID] = data
	}
	b.mu.Unlock()
	_, err := w.Write(data)
	return err
}

func (b *bundles) Import(_ context.Context, userID uuid.UUID, r io.Reader) (string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return "", err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.imported[userID] = data
	return "1 stand-in bundle", nil
}

func (b *bundles) get(m map[uuid.UUID][]byte) [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out [][]byte
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

type fork struct {
	srv     *testserver.Server
	bundles *bundles
}

func startFork(t *testing.T, host string, allowSimulated bool) fork {
	t.Helper()
	b := newBundles()
	env := map[string]string{}
	if allowSimulated {
		env["CONFIDANT_TRANSFER_ALLOW_SIMULATED"] = "1"
	}
	srv := testserver.Start(t, testserver.Options{Host: host, Env: env, TransferExport: b.Export, TransferImport: b.Import})
	return fork{srv: srv, bundles: b}
}

// member signs a new user up on f and returns their client and passkey.
func (f fork) member(t *testing.T, username string) (*testclient.Client, *softauthn.Authenticator) {
	t.Helper()
	c := testclient.New(t, f.srv)
	c.HTTP.Transport = localhostTransport
	a := softauthn.New(f.srv.URL)
	c.SignUp(a, username, username)
	return c, a
}

// localhostTransport resolves every *.localhost name to loopback, as
// browsers do (Go's resolver asks DNS, which does not know them).
var localhostTransport = &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err == nil && strings.HasSuffix(host, ".localhost") {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}}

var goSource = regexp.MustCompile(`href="([^"]*)" data-testid="transfer-go-source"`)

var hiddenField = regexp.MustCompile(`<input type="hidden" name="(to|id|token|key)" value="([^"]*)"`)

// startTransfer asks dst to bring the data from src and returns the path
// of the source's confirmation page.
func startTransfer(t *testing.T, dst *testclient.Client, srcURL string) string {
	t.Helper()
	dst.Get("/settings/transfer")
	res, body := dst.PostForm("/settings/transfer", url.Values{"source": {srcURL}})
	m := goSource.FindSubmatch(body)
	if res.StatusCode != http.StatusCreated || m == nil {
		t.Fatalf("start: %d %s", res.StatusCode, body)
	}
	next, err := url.Parse(html.UnescapeString(string(m[1])))
	if err != nil || next.Scheme+"://"+next.Host != srcURL || next.Path != "/transfer/out" {
		t.Fatalf("start links to %q", m[1])
	}
	return next.RequestURI()
}

func confirmFields(page string) map[string]string {
	out := map[string]string{}
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

func waitState(t *testing.T, c *testclient.Client, path, want string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, body := c.Get(path)
		if strings.Contains(body, `data-state="`+want+`"`) {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached %s: %s", path, want, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Two simulated instances that both allow simulated peers: the transfer
// goes through the pages, the bundle arrives intact, and it happens once.
func TestForkTransferBetweenInstances(t *testing.T) {
	t.Parallel()
	src := startFork(t, "source.localhost", true)
	dst := startFork(t, "localhost", true)
	cs, as := src.member(t, "alice")
	cd, _ := dst.member(t, "alice")

	confirm := startTransfer(t, cd, src.srv.URL)
	res, page := cs.Get(confirm)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `data-testid="transfer-simulated"`) || !strings.Contains(page, "SIMULATED") {
		t.Fatalf("confirmation page %d lacks the simulated warning: %s", res.StatusCode, page)
	}
	if !strings.Contains(page, `data-testid="transfer-facts"`) || !strings.Contains(page, "Compose hash") {
		t.Error("the confirmation page shows no measurements")
	}
	if !strings.Contains(page, `data-testid="transfer-account">@alice<`) {
		t.Error("the confirmation page does not name the account the data goes to")
	}
	fields := confirmFields(page)
	if fields["to"] != dst.srv.URL || fields["key"] == "" || fields["token"] == "" {
		t.Fatalf("confirmation fields = %v", fields)
	}
	// Another user of the destination cannot follow this transfer.
	other, _ := dst.member(t, "mallory")
	if res, _ := other.Get("/settings/transfer/" + fields["id"]); res.StatusCode != http.StatusNotFound {
		t.Fatalf("another user sees the transfer: %d", res.StatusCode)
	}

	done := cs.Ceremony("/transfer/out/begin", fields, "/transfer/out/finish", as.Get)
	if !strings.HasPrefix(done.Redirect, "/transfer/out/") {
		t.Fatalf("finish redirects to %q", done.Redirect)
	}
	sent := waitState(t, cs, done.Redirect+"/status", "done")
	if !strings.Contains(sent, dst.srv.URL+"/settings/transfer/"+fields["id"]) {
		t.Errorf("no link back to the destination: %s", sent)
	}
	status := waitState(t, cd, "/settings/transfer/"+fields["id"], "done")
	if !strings.Contains(status, "Imported 1 stand-in bundle") {
		t.Errorf("status page: %s", status)
	}
	exported, imported := src.bundles.get(src.bundles.exported), dst.bundles.get(dst.bundles.imported)
	if len(exported) != 1 || len(imported) != 1 || !bytes.Equal(exported[0], imported[0]) {
		t.Fatalf("exported %d, imported %d bundles, or they differ", len(exported), len(imported))
	}

	// The upload token is spent, and the offer is gone.
	req, _ := http.NewRequest(http.MethodPost, dst.srv.URL+"/v1/transfer/"+fields["id"]+"/upload", strings.NewReader("CONFIDANT-TRANSFER/1\n"))
	req.Header.Set("Authorization", "Bearer "+fields["token"])
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("replayed upload: %v %v", res, err)
	}
	if res, err := http.Get(dst.srv.URL + "/v1/transfer/" + fields["id"] + "/offer?nonce=" + strings.Repeat("ab", 32)); err != nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("offer after the transfer: %v %v", res, err)
	}
	// The send belongs to its user only.
	eve, _ := src.member(t, "eve")
	if res, _ := eve.Get(done.Redirect); res.StatusCode != http.StatusNotFound {
		t.Fatalf("another user sees the send: %d", res.StatusCode)
	}
}

// A source without CONFIDANT_TRANSFER_ALLOW_SIMULATED refuses a simulated
// destination, on the page and when the confirmation is forged.
func TestForkTransferSourceRefusesSimulated(t *testing.T) {
	t.Parallel()
	src := startFork(t, "source.localhost", false)
	dst := startFork(t, "localhost", true)
	cs, as := src.member(t, "alice")
	cd, _ := dst.member(t, "alice")

	confirm := startTransfer(t, cd, src.srv.URL)
	res, page := cs.Get(confirm)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `data-testid="transfer-refused"`) {
		t.Fatalf("page %d: %s", res.StatusCode, page)
	}
	if !strings.Contains(page, "simulated enclave") || !strings.Contains(page, "CONFIDANT_TRANSFER_ALLOW_SIMULATED=1 here") {
		t.Errorf("the refusal does not say why: %s", page)
	}
	if strings.Contains(page, `data-testid="transfer-confirm-form"`) {
		t.Error("a refused destination can still be confirmed")
	}
	q, _ := url.ParseQuery(confirm[strings.Index(confirm, "?")+1:])
	forged := map[string]string{"to": q.Get("to"), "id": q.Get("id"), "token": q.Get("token"), "key": strings.Repeat("00", 32)}
	body, _ := json.Marshal(forged)
	_, raw := cs.PostJSON("/transfer/out/begin", body)
	var ch testclient.Challenge
	if err := json.Unmarshal(raw, &ch); err != nil {
		t.Fatal(err)
	}
	assertion, err := as.Get(ch.Options)
	if err != nil {
		t.Fatal(err)
	}
	res, raw = cs.PostJSON("/transfer/out/finish?ceremony="+ch.Ceremony, assertion)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(raw), "simulated") {
		t.Fatalf("forged confirmation: %d %s", res.StatusCode, raw)
	}
	if len(src.bundles.get(src.bundles.exported)) != 0 {
		t.Fatal("the source exported for a refused destination")
	}
}

// A destination without the flag says so in its offer, and the source
// names the destination as the side that refuses.
func TestForkTransferDestinationRefusesSimulated(t *testing.T) {
	t.Parallel()
	src := startFork(t, "source.localhost", true)
	dst := startFork(t, "localhost", false)
	cs, _ := src.member(t, "alice")
	cd, _ := dst.member(t, "alice")
	_, page := cs.Get(startTransfer(t, cd, src.srv.URL))
	if !strings.Contains(page, "the destination does not allow simulated peers") {
		t.Fatalf("page: %s", page)
	}
}

func TestForkTransferStartRefusesBadSource(t *testing.T) {
	t.Parallel()
	dst := startFork(t, "localhost", true)
	cd, _ := dst.member(t, "alice")
	for _, src := range []string{"ftp://x.example", "nonsense", dst.srv.URL} {
		cd.Get("/settings/transfer")
		res, body := cd.PostForm("/settings/transfer", url.Values{"source": {src}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `class="notice notice-error"`) {
			t.Errorf("%q: %d", src, res.StatusCode)
		}
	}
}

// An upload that does not authenticate is refused over HTTP, imports
// nothing, and the destination's page says so; the spent token cannot be
// used again.
func TestForkTransferUploadRefused(t *testing.T) {
	t.Parallel()
	dst := startFork(t, "localhost", true)
	cd, _ := dst.member(t, "alice")
	confirm := startTransfer(t, cd, "http://source.localhost:1")
	q, _ := url.ParseQuery(confirm[strings.Index(confirm, "?")+1:])
	id, token := q.Get("id"), q.Get("token")
	upload := func(token string, body []byte) int {
		req, _ := http.NewRequest(http.MethodPost, dst.srv.URL+"/v1/transfer/"+id+"/upload", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	garbage := append([]byte("CONFIDANT-TRANSFER/1\n\x00\x20"), make([]byte, 32+5+40)...)
	if got := upload("not-the-token", garbage); got != http.StatusNotFound {
		t.Fatalf("wrong token: %d", got)
	}
	if got := upload(token, garbage); got != http.StatusUnprocessableEntity {
		t.Fatalf("garbage: %d", got)
	}
	if got := upload(token, garbage); got != http.StatusNotFound {
		t.Fatalf("second upload: %d", got)
	}
	status := waitState(t, cd, "/settings/transfer/"+id, "failed")
	if !strings.Contains(status, "did not authenticate") {
		t.Errorf("status page: %s", status)
	}
	if len(dst.bundles.get(dst.bundles.imported)) != 0 {
		t.Fatal("a refused upload imported something")
	}
	if res, _ := http.Get(dst.srv.URL + "/v1/transfer/" + id + "/offer?nonce=nothex"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad nonce: %d", res.StatusCode)
	}
}
