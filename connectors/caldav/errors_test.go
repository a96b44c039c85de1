package caldav

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"confidant/connectors"
)

func TestSyncErrors(t *testing.T) {
	srv := startServer(t)
	srv.MakeCalendar(t, "alice", "work", "Work")
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String() + "/"
	closed.Close()
	var d countingDialer
	refuse := func(context.Context, string, string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("address not allowed")}
	}

	selfSigned := httptest.NewTLSServer(http.NotFoundHandler())
	defer selfSigned.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	webPage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>Welcome</body></html>")
	}))
	defer webPage.Close()

	tests := []struct {
		name      string
		url, pass string
		dial      connectors.Dialer
		code      string
		retry     bool
	}{
		{"wrong password", srv.URL, "wrong", d.dial, "auth_failed", false},
		{"another user's calendar", srv.URL + "bob/", "secret", d.dial, "auth_failed", false},
		{"nothing listening", closedURL, "secret", d.dial, "unreachable", true},
		{"dialer refuses", srv.URL, "secret", refuse, "unreachable", true},
		{"untrusted certificate", selfSigned.URL + "/", "secret", d.dial, "tls", false},
		{"server error", failing.URL + "/", "secret", d.dial, "server", true},
		{"a web page, not CalDAV", webPage.URL + "/", "secret", d.dial, "not_caldav", false},
		{"not a calendar server", srv.URL + "alice/work/nothing-here/", "secret", d.dial, "not_caldav", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder()
			err := newSource(t, tt.url, tt.pass, tt.dial, Options{}).Sync(context.Background(), nil, rec)
			var ce *connectors.Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *connectors.Error", err)
			}
			if tt.code != "" && (ce.Code != tt.code || ce.Retry != tt.retry) {
				t.Errorf("error %q (retry %t), want %q (retry %t)", ce.Code, ce.Retry, tt.code, tt.retry)
			}
			if strings.Contains(ce.Message, "secret") || ce.Message == "" {
				t.Errorf("message %q", ce.Message)
			}
			if len(rec.batches) != 0 {
				t.Errorf("a failed sync applied %d batches", len(rec.batches))
			}
		})
	}
}

func TestFactoryRejectsPlainHTTPToRemoteHosts(t *testing.T) {
	_, err := New(connectors.Settings{URL: "http://calendar.example.org/dav/", Username: "alice", Password: "x"}, (&countingDialer{}).dial, nil)
	var ce *connectors.Error
	if !errors.As(err, &ce) || ce.Code != "tls" {
		t.Fatalf("err = %v, want a tls error", err)
	}
}
