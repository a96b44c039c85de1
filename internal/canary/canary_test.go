package canary

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"confidant/internal/softauthn"
	"confidant/internal/testclient"
	"confidant/internal/testserver"
)

// TestCanariesNeverStoredOrLogged writes canaries through every registered
// path, dumps the database, and scans the dump and the server log for each
// canary in plain text, hex (how pg_dump prints bytea) and base64.
func TestCanariesNeverStoredOrLogged(t *testing.T) {
	if _, err := exec.LookPath("pg_dump"); err != nil {
		t.Fatal("pg_dump not found: `make test` installs postgresql-client")
	}
	mailbox := &canaryMailbox{}
	srv := testserver.Start(t, testserver.Options{Connectors: mailbox.sources()})
	var canaries []string
	mark := func(name string) string {
		s := fmt.Sprintf("Canary-%s-%d-q7Zx", name, len(canaries))
		canaries = append(canaries, s)
		return s
	}

	c := testclient.New(t, srv)
	c.UserAgent = mark("signup-user-agent")
	device := softauthn.New(srv.URL)
	username := "canaryq7zx" // usernames are restricted to [a-z0-9._-]
	canaries = append(canaries, username)
	out := c.SignUp(device, username, mark("display-name"))
	codes := out.RecoveryCodes
	canaries = append(canaries, codes...)
	secret := func(s string) { canaries = append(canaries, s) }
	e := &env{c: c, device: device, mark: mark, secret: secret, codes: &codes, user: username, mailbox: mailbox}

	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) { p.write(t, e) })
	}
	canaries = append(canaries, codes...)

	// Sanity: the app shows the canaries back to their owner.
	if _, body := c.Get("/settings/passkeys"); !strings.Contains(body, "Canary-passkey-rename") {
		t.Fatal("renamed passkey not shown to its owner: the scan below would prove nothing")
	}

	dump := pgDump(t, srv.DatabaseURL)
	logs := srv.Logs.String()
	if len(dump) < 1000 || !bytes.Contains(dump, []byte("CREATE TABLE public.users")) {
		t.Fatalf("dump looks empty (%d bytes)", len(dump))
	}
	for _, s := range canaries {
		for _, form := range encodings(s) {
			if bytes.Contains(bytes.ToLower(dump), bytes.ToLower([]byte(form))) {
				t.Errorf("database dump contains canary %q (as %q)", s, form)
			}
			if strings.Contains(strings.ToLower(logs), strings.ToLower(form)) {
				t.Errorf("server log contains canary %q (as %q)", s, form)
			}
		}
	}
}

// encodings lists the forms a leaked string could take in a dump or log.
func encodings(s string) []string {
	return []string{s, hex.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s))}
}

func pgDump(t *testing.T, url string) []byte {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cc := cfg.ConnConfig
	out, err := exec.Command("pg_dump", "--no-owner", fmt.Sprintf("host=%s port=%d user=%s dbname=%s", cc.Host, cc.Port, cc.User, cc.Database)).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	return out
}

var passkeyIDPattern = regexp.MustCompile(`/settings/passkeys/([0-9a-f-]{36})/rename`)

func firstPasskeyID(page string) string {
	m := passkeyIDPattern.FindStringSubmatch(page)
	if m == nil {
		return "missing"
	}
	return m[1]
}

var streamPattern = regexp.MustCompile(`data-stream="([^"]+)"`)

// waitAnswers reads the conversation page and follows every running answer
// to its end, so its text is committed before the dump.
func (e *env) waitAnswers(conv string) {
	_, page := e.c.Get(conv)
	for _, m := range streamPattern.FindAllStringSubmatch(page, -1) {
		e.c.Get(m[1]) // the event stream returns when the answer ends
	}
}
