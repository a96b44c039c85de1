// Package testcal runs a real radicale CalDAV server on loopback for a
// test, with throwaway configuration, users and storage.
package testcal

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options configure a server.
type Options struct {
	// Users maps user names to plain-text passwords. Each user owns the
	// collections under /<user>/ and nothing else (owner_only rights).
	Users map[string]string
}

// Server is a running radicale.
type Server struct {
	// URL is the server root, e.g. "http://127.0.0.1:41234/". A CalDAV
	// client pointed at it discovers the user's principal and calendars.
	URL  string
	Addr string // host:port
	Dir  string // configuration, users file and collections

	users map[string]string
	http  *http.Client
}

// StartCalDAV starts radicale for the test and stops it at cleanup. Without
// radicale the test fails, unless CONFIDANT_E2E_OPTIONAL=1 allows a skip.
func StartCalDAV(t testing.TB, opt Options) *Server {
	t.Helper()
	bin, err := exec.LookPath("radicale")
	if err != nil {
		if os.Getenv("CONFIDANT_E2E_OPTIONAL") == "1" {
			t.Skip("radicale is not installed and CONFIDANT_E2E_OPTIONAL=1: skipping CalDAV tests")
		}
		t.Fatal("radicale is not installed: install the radicale package " +
			"(set CONFIDANT_E2E_OPTIONAL=1 to skip CalDAV tests instead)")
	}
	dir := t.TempDir()
	addr, err := freeAddr()
	if err != nil {
		t.Fatalf("testcal: free port: %v", err)
	}
	var users strings.Builder
	names := make([]string, 0, len(opt.Users))
	for name := range opt.Users {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&users, "%s:%s\n", name, opt.Users[name])
	}
	config := fmt.Sprintf(`[server]
hosts = %s
[auth]
type = htpasswd
htpasswd_filename = %s
htpasswd_encryption = plain
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = %s
[web]
type = none
[logging]
level = warning
mask_passwords = True
`, addr, filepath.Join(dir, "users"), filepath.Join(dir, "collections"))
	for name, data := range map[string]string{"users": users.String(), "config": config} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatalf("testcal: %v", err)
		}
	}

	var logs lockedBuffer
	cmd := exec.Command(bin, "-C", filepath.Join(dir, "config"))
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("testcal: start radicale: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if t.Failed() {
			t.Logf("radicale output:\n%s", logs.String())
		}
	})

	s := &Server{
		URL: "http://" + addr + "/", Addr: addr, Dir: dir, users: opt.Users,
		http: &http.Client{Timeout: 30 * time.Second},
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := s.http.Get(s.URL)
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("testcal: radicale exited:\n%s", logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("testcal: radicale not answering on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
	return s
}

// CalendarURL is the URL of user's calendar named name (the last path
// segment), whether or not it exists.
func (s *Server) CalendarURL(user, name string) string {
	return s.URL + user + "/" + name + "/"
}

// MakeCalendar creates a VEVENT calendar with a display name and returns
// its URL.
func (s *Server) MakeCalendar(t testing.TB, user, name, displayName string) string {
	t.Helper()
	body := fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname>%s</D:displayname>
    <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>`, xmlEscape(displayName))
	u := s.CalendarURL(user, name)
	s.do(t, user, "MKCALENDAR", u, "application/xml", []byte(body), nil, http.StatusCreated)
	return u
}

// Put stores an iCalendar object as name (e.g. "event1.ics") in the
// calendar at calendarURL and returns the object's path (its href).
func (s *Server) Put(t testing.TB, user, calendarURL, name, ics string) string {
	t.Helper()
	u := calendarURL + name
	s.do(t, user, http.MethodPut, u, "text/calendar; charset=utf-8", []byte(crlf(ics)), nil, http.StatusCreated, http.StatusNoContent)
	return pathOf(u)
}

// Delete removes the object or collection at href (a path or a URL).
func (s *Server) Delete(t testing.TB, user, href string) {
	t.Helper()
	s.do(t, user, http.MethodDelete, s.resolve(href), "", nil, nil, http.StatusOK, http.StatusNoContent)
}

// Get returns the stored iCalendar text at href.
func (s *Server) Get(t testing.TB, user, href string) string {
	t.Helper()
	return string(s.do(t, user, http.MethodGet, s.resolve(href), "", nil, nil, http.StatusOK))
}

func (s *Server) resolve(href string) string {
	if strings.HasPrefix(href, "http://") {
		return href
	}
	return strings.TrimSuffix(s.URL, "/") + "/" + strings.TrimPrefix(href, "/")
}

func (s *Server) do(t testing.TB, user, method, url, contentType string, body []byte, header http.Header, want ...int) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("testcal: %s %s: %v", method, url, err)
	}
	password, ok := s.users[user]
	if !ok {
		t.Fatalf("testcal: no user %q", user)
	}
	req.SetBasicAuth(user, password)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatalf("testcal: %s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("testcal: %s %s: read: %v", method, url, err)
	}
	for _, code := range want {
		if resp.StatusCode == code {
			return data
		}
	}
	t.Fatalf("testcal: %s %s: status %s, want %v: %s", method, url, resp.Status, want, data)
	return nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func pathOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.IndexByte(u, '/'); j >= 0 {
			return u[j:]
		}
		return "/"
	}
	return u
}

// crlf gives iCalendar text the CRLF line ends RFC 5545 asks for.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
