package testmail

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Login opens an IMAP session as user; it is closed when the test ends.
func (s *IMAP) Login(t testing.TB, username, password string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.Addr(), nil)
	if err != nil {
		t.Fatalf("testmail: dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(username, password).Wait(); err != nil {
		t.Fatalf("testmail: login %s: %v", username, err)
	}
	return c
}

// CreateMailbox creates a folder for the user.
func CreateMailbox(t testing.TB, c *imapclient.Client, name string) {
	t.Helper()
	if err := c.Create(name, nil).Wait(); err != nil {
		t.Fatalf("testmail: create %s: %v", name, err)
	}
}

// Append stores raw in mailbox with IMAP APPEND and returns its UID.
func Append(t testing.TB, c *imapclient.Client, mailbox string, raw []byte, flags ...imap.Flag) imap.UID {
	t.Helper()
	cmd := c.Append(mailbox, int64(len(raw)), &imap.AppendOptions{Flags: flags})
	if _, err := cmd.Write(raw); err != nil {
		t.Fatalf("testmail: append: %v", err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("testmail: append: %v", err)
	}
	data, err := cmd.Wait()
	if err != nil {
		t.Fatalf("testmail: append to %s: %v", mailbox, err)
	}
	return data.UID
}

// Expunge removes the messages with these UIDs from mailbox.
func Expunge(t testing.TB, c *imapclient.Client, mailbox string, uids ...imap.UID) {
	t.Helper()
	if _, err := c.Select(mailbox, nil).Wait(); err != nil {
		t.Fatalf("testmail: select %s: %v", mailbox, err)
	}
	set := imap.UIDSetNum(uids...)
	if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatalf("testmail: store \\Deleted: %v", err)
	}
	if err := c.UIDExpunge(set).Close(); err != nil {
		t.Fatalf("testmail: expunge: %v", err)
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Fatalf("testmail: unselect: %v", err)
	}
}

// AddFlags adds flags to the messages with these UIDs in mailbox.
func AddFlags(t testing.TB, c *imapclient.Client, mailbox string, flags []imap.Flag, uids ...imap.UID) {
	t.Helper()
	if _, err := c.Select(mailbox, nil).Wait(); err != nil {
		t.Fatalf("testmail: select %s: %v", mailbox, err)
	}
	if err := c.Store(imap.UIDSetNum(uids...), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: flags}, nil).Close(); err != nil {
		t.Fatalf("testmail: store flags: %v", err)
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Fatalf("testmail: unselect: %v", err)
	}
}

// ResetUIDValidity gives the user's mailbox a new UIDVALIDITY, as a server
// does after rebuilding its index: every UID a client knew becomes void.
func (s *IMAP) ResetUIDValidity(t testing.TB, username, mailbox string) uint32 {
	t.Helper()
	v := uint32(time.Now().Unix()) + uint32(uidValiditySeq.Add(1))
	out, err := exec.Command("/usr/bin/doveadm", "-c", s.conf, "mailbox", "update",
		"-u", username, "--uid-validity", strconv.FormatUint(uint64(v), 10), mailbox).CombinedOutput()
	if err != nil {
		t.Fatalf("testmail: doveadm mailbox update: %v: %s", err, out)
	}
	return v
}

var uidValiditySeq atomic.Int32

// Deliver writes messages straight into the user's INBOX maildir, which is
// much faster than APPEND for large corpora; dovecot assigns their UIDs, in
// order, when a client next looks.
func (s *IMAP) Deliver(t testing.TB, username string, raws [][]byte) {
	t.Helper()
	dir := filepath.Join(s.dir, "mail", username)
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Now().Unix()
	for i, raw := range raws {
		name := fmt.Sprintf("%d.M%06dP%d.confidant:2,", base, i, os.Getpid())
		if err := os.WriteFile(filepath.Join(dir, "cur", name), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if os.Geteuid() == 0 {
		if err := chownTree(filepath.Join(s.dir, "mail"), "dovecot"); err != nil {
			t.Fatal(err)
		}
	}
}
