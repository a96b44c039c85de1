package testmail

import (
	"testing"

	"github.com/emersion/go-imap/v2"
)

// TestIMAP starts dovecot, loads messages both ways, and checks that the
// helpers change what a client sees.
func TestIMAP(t *testing.T) {
	srv := StartIMAP(t, IMAPOptions{Users: map[string]string{"alice": "secret"}})
	srv.Deliver(t, "alice", [][]byte{[]byte("Subject: one\r\n\r\nbody\r\n"), []byte("Subject: two\r\n\r\nbody\r\n")})
	c := srv.Login(t, "alice", "secret")
	uid := Append(t, c, "INBOX", []byte("Subject: three\r\n\r\nbody\r\n"))
	if uid != 3 {
		t.Fatalf("appended UID = %d, want 3 after two delivered", uid)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages != 3 {
		t.Fatalf("messages = %d, want 3", sel.NumMessages)
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Fatal(err)
	}
	Expunge(t, c, "INBOX", 2)
	st, err := c.Status("INBOX", &imap.StatusOptions{NumMessages: true, UIDValidity: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if *st.NumMessages != 2 {
		t.Fatalf("after expunge messages = %d, want 2", *st.NumMessages)
	}
	v := srv.ResetUIDValidity(t, "alice", "INBOX")
	st2, err := c.Status("INBOX", &imap.StatusOptions{UIDValidity: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if st2.UIDValidity == st.UIDValidity || st2.UIDValidity != v {
		t.Fatalf("UIDVALIDITY %d → %d, want %d", st.UIDValidity, st2.UIDValidity, v)
	}
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 5 {
		t.Fatalf("folders = %d, want INBOX and four special-use", len(list))
	}
}
