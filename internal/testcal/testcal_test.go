package testcal

import (
	"net/http"
	"strings"
	"testing"
)

const event = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:one@test
DTSTAMP:20260101T000000Z
DTSTART:20260301T080000Z
DTEND:20260301T090000Z
SUMMARY:One
END:VEVENT
END:VCALENDAR
`

func TestStartCalDAV(t *testing.T) {
	s := StartCalDAV(t, Options{Users: map[string]string{"alice": "secret", "bob": "other"}})
	cal := s.MakeCalendar(t, "alice", "work", "Work & more")
	href := s.Put(t, "alice", cal, "one.ics", event)
	if href != "/alice/work/one.ics" {
		t.Errorf("href = %q", href)
	}
	if got := s.Get(t, "alice", href); !strings.Contains(got, "UID:one@test") {
		t.Errorf("stored object lacks its UID:\n%s", got)
	}

	// owner_only: bob cannot read alice's calendar.
	req, _ := http.NewRequest(http.MethodGet, s.URL+"alice/work/one.ics", nil)
	req.SetBasicAuth("bob", "other")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
		t.Errorf("bob reading alice's event: status %d, want 403 or 404", resp.StatusCode)
	}
	// A wrong password is refused.
	req, _ = http.NewRequest(http.MethodGet, s.URL+"alice/work/one.ics", nil)
	req.SetBasicAuth("alice", "wrong")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: status %d, want 401", resp.StatusCode)
	}

	s.Delete(t, "alice", href)
	req, _ = http.NewRequest(http.MethodGet, s.URL+"alice/work/one.ics", nil)
	req.SetBasicAuth("alice", "secret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("after delete: status %d, want 404", resp.StatusCode)
	}
}
