// Package testmail runs a real dovecot IMAP server on loopback for tests,
// with helpers to load, change and expunge messages, and a proxy that cuts
// connections to test dropped links.
//
// Typical use:
//
//	srv := testmail.StartIMAP(t, testmail.IMAPOptions{Users: map[string]string{"alice": "secret"}})
//	c := srv.Login(t, "alice", "secret")            // an imapclient session
//	uid := testmail.Append(t, c, "INBOX", raw)      // or srv.Deliver for thousands
//	testmail.Expunge(t, c, "INBOX", uid)
//	srv.ResetUIDValidity(t, "alice", "INBOX")
//	proxy := testmail.NewProxy(t, srv.Addr())       // proxy.CutAfter(n) drops links
//
// Every user has INBOX, Drafts, Sent, Junk and Trash (with special-use
// attributes) unless IMAPOptions.NoSpecialFolders; IMAPOptions.TLS adds
// IMAPS and STARTTLS with a certificate that IMAP.CertPool trusts. The
// server runs as a foreground process in its own process group with its
// configuration and maildirs in a temporary directory, and is stopped when
// the test ends.
package testmail

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dovecotPath is where Debian's dovecot-imapd installs the server.
const dovecotPath = "/usr/sbin/dovecot"

// IMAPOptions configures a test server.
type IMAPOptions struct {
	// Users maps user names to plain-text passwords.
	Users map[string]string
	// NoSpecialFolders leaves out the Drafts, Sent, Junk and Trash folders
	// (with their special-use attributes) that every user has by default.
	NoSpecialFolders bool
	// TLS serves IMAPS on TLSPort and offers STARTTLS on Port, with a
	// fresh self-signed certificate for 127.0.0.1 and localhost that
	// CertPool trusts.
	TLS bool
}

// IMAP is a running dovecot. It is stopped when the test ends.
type IMAP struct {
	Host string // always 127.0.0.1
	Port int
	// TLSPort and CertPool are set with IMAPOptions.TLS.
	TLSPort  int
	CertPool *x509.CertPool
	dir      string
	conf     string
}

// Addr returns "host:port" of the IMAP listener (plain text, STARTTLS
// not offered).
func (s *IMAP) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// StartIMAP starts dovecot for the test with its own configuration, users
// and maildirs in a temporary directory, and waits for its greeting.
// Without dovecot the test fails, unless CONFIDANT_E2E_OPTIONAL=1 allows a
// skip.
func StartIMAP(t testing.TB, opts IMAPOptions) *IMAP {
	t.Helper()
	if _, err := os.Stat(dovecotPath); err != nil {
		if os.Getenv("CONFIDANT_E2E_OPTIONAL") == "1" {
			t.Skip("dovecot is not installed and CONFIDANT_E2E_OPTIONAL=1: skipping IMAP tests")
		}
		t.Fatal("dovecot is not installed (" + dovecotPath + "): apt-get install dovecot-imapd " +
			"(set CONFIDANT_E2E_OPTIONAL=1 to skip IMAP tests instead)")
	}
	// dovecot's unprivileged processes must traverse the directory: not
	// t.TempDir, which is 0700.
	dir, err := os.MkdirTemp("", "confidant-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &IMAP{Host: "127.0.0.1", Port: port, dir: dir, conf: filepath.Join(dir, "dovecot.conf")}
	if opts.TLS {
		if s.TLSPort, err = freePort(); err != nil {
			t.Fatal(err)
		}
		if s.CertPool, err = writeCert(dir); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.writeConfig(opts); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(dovecotPath, "-F", "-c", s.conf)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("testmail: start dovecot: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		if t.Failed() {
			if log, err := os.ReadFile(filepath.Join(dir, "dovecot.log")); err == nil {
				t.Logf("dovecot log:\n%s", tail(log, 4000))
			}
		}
		stopGroup(cmd.Process.Pid, exited)
	})
	if err := waitGreeting(s.Addr(), exited, 15*time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
		t.Fatalf("testmail: dovecot not ready: %v\noutput: %s\nlog: %s", err, out.String(), tail(log, 4000))
	}
	return s
}

func (s *IMAP) writeConfig(opts IMAPOptions) error {
	for _, d := range []string{"run", "state", "mail", "home"} {
		if err := os.MkdirAll(filepath.Join(s.dir, d), 0o755); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(opts.Users))
	for name := range opts.Users {
		names = append(names, name)
	}
	sort.Strings(names)
	var users strings.Builder
	for _, name := range names {
		fmt.Fprintf(&users, "%s:{PLAIN}%s::::::\n", name, opts.Users[name])
	}
	usersPath := filepath.Join(s.dir, "users")
	if err := os.WriteFile(usersPath, []byte(users.String()), 0o644); err != nil {
		return err
	}

	var c strings.Builder
	fmt.Fprintf(&c, "instance_name = confidant-test-%d\n", s.Port)
	fmt.Fprintf(&c, "base_dir = %s/run\nstate_dir = %s/state\nlog_path = %s/dovecot.log\n", s.dir, s.dir, s.dir)
	c.WriteString("protocols = imap\nlisten = 127.0.0.1\ndisable_plaintext_auth = no\n")
	if opts.TLS {
		fmt.Fprintf(&c, "ssl = yes\nssl_cert = <%s/cert.pem\nssl_key = <%s/key.pem\n", s.dir, s.dir)
	} else {
		c.WriteString("ssl = no\n")
	}
	c.WriteString("auth_mechanisms = plain login\n")
	fmt.Fprintf(&c, "passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%%u %s\n}\n", usersPath)
	fmt.Fprintf(&c, "userdb {\n  driver = passwd-file\n  args = username_format=%%u %s\n  default_fields = home=%s/home/%%u\n}\n", usersPath, s.dir)
	fmt.Fprintf(&c, "mail_location = maildir:%s/mail/%%u\n", s.dir)
	if os.Geteuid() == 0 {
		// dovecot refuses to touch mail as root.
		c.WriteString("mail_uid = dovecot\nmail_gid = dovecot\nfirst_valid_uid = 1\nfirst_valid_gid = 1\n")
		c.WriteString("default_login_user = dovenull\ndefault_internal_user = dovecot\n")
		if err := chownTree(s.dir, "dovecot"); err != nil {
			return err
		}
	} else {
		g, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
		if err != nil {
			return err
		}
		u, err := user.Current()
		if err != nil {
			return err
		}
		fmt.Fprintf(&c, "default_login_user = %s\ndefault_internal_user = %s\ndefault_internal_group = %s\n", u.Username, u.Username, g.Name)
		c.WriteString("service anvil {\n  chroot =\n}\n")
	}
	fmt.Fprintf(&c, "service imap-login {\n  chroot =\n  inet_listener imap {\n    address = 127.0.0.1\n    port = %d\n  }\n  inet_listener imaps {\n    address = 127.0.0.1\n    port = %d\n  }\n}\n", s.Port, s.TLSPort)
	c.WriteString("namespace inbox {\n  inbox = yes\n  separator = /\n")
	if !opts.NoSpecialFolders {
		for _, f := range []struct{ name, use string }{
			{"Drafts", `\Drafts`}, {"Sent", `\Sent`}, {"Junk", `\Junk`}, {"Trash", `\Trash`},
		} {
			fmt.Fprintf(&c, "  mailbox %s {\n    auto = subscribe\n    special_use = %s\n  }\n", f.name, f.use)
		}
	}
	c.WriteString("}\n")
	return os.WriteFile(s.conf, []byte(c.String()), 0o644)
}

// chownTree gives dir and everything under it to the named user.
func chownTree(dir, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("testmail: user %s: %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitGreeting waits until the server at addr sends its "* OK" greeting:
// dovecot accepts connections before its auth process is ready.
func waitGreeting(addr string, exited <-chan struct{}, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("dovecot exited")
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.SetDeadline(time.Now().Add(2 * time.Second))
			line, rerr := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if rerr == nil && strings.HasPrefix(line, "* OK") {
				return nil
			}
			err = fmt.Errorf("greeting %q: %v", line, rerr)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no greeting within %s: %v", limit, last)
}

// stopGroup ends the process group of pid: SIGTERM, then SIGKILL if it
// lingers.
func stopGroup(pid int, exited <-chan struct{}) {
	syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(3 * time.Second):
		syscall.Kill(-pid, syscall.SIGKILL)
		<-exited
	}
	// Children that outlived the master (they share its group).
	syscall.Kill(-pid, syscall.SIGKILL)
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
