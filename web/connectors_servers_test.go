package web_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"confidant/connectors"
	"confidant/connectors/caldav"
	"confidant/connectors/imap"
	"confidant/internal/softauthn"
	"confidant/internal/testcal"
	"confidant/internal/testclient"
	"confidant/internal/testmail"
	"confidant/internal/testserver"
)

// realSources are the app's own sources, as cmd/confidant wires them.
func realSources() map[connectors.Kind]connectors.SourceFactory {
	return map[connectors.Kind]connectors.SourceFactory{connectors.KindIMAP: imap.New, connectors.KindCalDAV: caldav.New}
}

func rawMail(i int) []byte {
	body := strings.Repeat(fmt.Sprintf("Line %d of the weekly report about the orchard. ", i), 40)
	return []byte(fmt.Sprintf("From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: Report %d\r\nDate: Mon, 2 Nov 2026 09:%02d:00 +0000\r\nMessage-ID: <report-%d@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", i, i%60, i, body))
}

// waitStatus polls one connector until its status is want.
func waitStatus(t *testing.T, srv *testserver.Server, key, id, want string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var got map[string]any
		status, raw := apiCall(t, srv, key, http.MethodGet, "/api/connectors/"+id, nil)
		if status != http.StatusOK || json.Unmarshal(raw, &got) != nil {
			t.Fatalf("get: %d %s", status, raw)
		}
		if got["status"] == want {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("connector never %s: %s", want, raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func connectAPI(t *testing.T, srv *testserver.Server, key string, body map[string]any) string {
	t.Helper()
	status, raw := apiCall(t, srv, key, http.MethodPost, "/api/connectors", body)
	var got map[string]any
	if status != http.StatusCreated || json.Unmarshal(raw, &got) != nil {
		t.Fatalf("connect: %d %s", status, raw)
	}
	return got["id"].(string)
}

// A mailbox on a real dovecot, reached through a link that drops in the
// middle of the first sync, and a calendar on a real radicale, connected
// through the JSON API: everything arrives once, and a wrong password
// says so.
func TestConnectorsAgainstRealServers(t *testing.T) {
	t.Parallel()
	mail := testmail.StartIMAP(t, testmail.IMAPOptions{Users: map[string]string{"alice": "secret"}})
	const messages = 250
	var raws [][]byte
	for i := range messages {
		raws = append(raws, rawMail(i+1))
	}
	mail.Deliver(t, "alice", raws)
	link := testmail.NewProxy(t, mail.Addr())
	link.CutAfter(300 << 10) // past the first batch of 100, inside the second

	cal := testcal.StartCalDAV(t, testcal.Options{Users: map[string]string{"alice": "secret"}})
	work := cal.MakeCalendar(t, "alice", "work", "Work")
	day := time.Now().UTC().Add(24 * time.Hour).Truncate(24 * time.Hour).Add(9 * time.Hour)
	ics := func(uid, summary, rule string) string {
		return "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//confidant tests//EN\nBEGIN:VEVENT\nUID:" + uid + "\nDTSTAMP:20261101T000000Z\nDTSTART:" +
			day.Format("20060102T150405Z") + "\nDTEND:" + day.Add(30*time.Minute).Format("20060102T150405Z") + "\n" + rule + "SUMMARY:" + summary + "\nEND:VEVENT\nEND:VCALENDAR\n"
	}
	cal.Put(t, "alice", work, "standup.ics", ics("standup@example.org", "Standup", "RRULE:FREQ=WEEKLY;COUNT=4\n"))
	cal.Put(t, "alice", work, "dentist.ics", ics("dentist@example.org", "Dentist", ""))

	srv := testserver.Start(t, testserver.Options{Connectors: realSources()})
	c := testclient.New(t, srv)
	device := softauthn.New(srv.URL)
	c.SignUp(device, "alice", "Alice")
	key := c.CreateAPIKey(device, "k", "read", "write")

	host, port, _ := net.SplitHostPort(link.Addr())
	portN, _ := strconv.Atoi(port)
	mailID := connectAPI(t, srv, key, map[string]any{"kind": "imap", "host": host, "port": portN, "security": "none", "username": "alice", "password": "secret"})
	failed := waitStatus(t, srv, key, mailID, "error")
	if e, _ := failed["error"].(map[string]any); e["code"] != "unreachable" || !strings.Contains(e["message"].(string), "connection to the mail server was lost") {
		t.Fatalf("after the drop: %v", failed)
	}
	if n := failed["items"].(float64); n < 100 || n >= messages {
		t.Fatalf("items kept from before the drop = %v, want the first batch", n)
	}
	link.CutAfter(0) // the link is back; River retries
	done := waitStatus(t, srv, key, mailID, "idle")
	if done["items"] != float64(messages) || link.Cuts.Load() < 1 {
		t.Fatalf("after the retry: %v (cuts %d)", done, link.Cuts.Load())
	}
	if n := countRows(t, srv, `SELECT count(*) FROM connector_mail`); n != messages {
		t.Fatalf("%d messages stored, want %d once each", n, messages)
	}

	calID := connectAPI(t, srv, key, map[string]any{"kind": "caldav", "url": cal.URL, "username": "alice", "password": "secret"})
	if got := waitStatus(t, srv, key, calID, "idle"); got["items"] != float64(5) {
		t.Fatalf("calendar: %v, want 4 standups and a dentist", got)
	}

	wrong := connectAPI(t, srv, key, map[string]any{"kind": "imap", "host": "127.0.0.1", "port": mail.Port, "security": "none", "username": "alice", "password": "not-it"})
	got := waitStatus(t, srv, key, wrong, "error")
	if e, _ := got["error"].(map[string]any); e["code"] != "auth_failed" || e["message"] == "" {
		t.Fatalf("wrong password: %v", got)
	}
	if strings.Contains(srv.Logs.String(), "not-it") {
		t.Fatal("the password reached the log")
	}
}
