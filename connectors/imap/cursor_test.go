package imap

import (
	"encoding/json"
	"testing"

	"confidant/connectors"
)

func TestUIDRanges(t *testing.T) {
	tests := []struct {
		name   string
		add    []uint32
		remove []uint32
		want   string
		count  int
	}{
		{"empty", nil, nil, "", 0},
		{"ascending run", []uint32{1, 2, 3, 4}, nil, "1:4", 4},
		{"gaps", []uint32{1, 2, 5, 7, 8}, nil, "1:2,5,7:8", 5},
		{"out of order and repeated", []uint32{9, 3, 4, 3, 1, 2}, nil, "1:4,9", 5},
		{"remove splits", []uint32{1, 2, 3, 4, 5}, []uint32{3}, "1:2,4:5", 4},
		{"remove all", []uint32{1, 2}, []uint32{1, 2, 7}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r uidRanges
			for _, u := range tt.add {
				r.add(u)
			}
			r.remove(tt.remove)
			if r.String() != tt.want || r.count() != tt.count {
				t.Fatalf("got %q (%d), want %q (%d)", r.String(), r.count(), tt.want, tt.count)
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var back uidRanges
			if err := json.Unmarshal(b, &back); err != nil || back.String() != tt.want {
				t.Fatalf("round trip %s: %q, %v", b, back.String(), err)
			}
			for _, u := range tt.add {
				removed := false
				for _, x := range tt.remove {
					removed = removed || x == u
				}
				if r.contains(u) == removed {
					t.Errorf("contains(%d) = %v", u, r.contains(u))
				}
			}
		})
	}
	for _, bad := range []string{`"5:3"`, `"x"`, `"1:y"`, `7`} {
		var r uidRanges
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("parsed %s", bad)
		}
	}
}

func TestNewValidatesSettings(t *testing.T) {
	ok := connectors.Settings{Kind: connectors.KindIMAP, Host: "imap.example.org", Username: "a", Password: "p"}
	tests := []struct {
		name     string
		change   func(*connectors.Settings)
		wantErr  bool
		wantPort int
	}{
		{"tls default port", func(s *connectors.Settings) {}, false, 993},
		{"starttls default port", func(s *connectors.Settings) { s.Security = connectors.SecuritySTARTTLS }, false, 143},
		{"plain text to loopback", func(s *connectors.Settings) { s.Host, s.Security = "127.0.0.1", connectors.SecurityNone }, false, 143},
		{"plain text elsewhere", func(s *connectors.Settings) { s.Security = connectors.SecurityNone }, true, 0},
		{"no host", func(s *connectors.Settings) { s.Host = " " }, true, 0},
		{"host with a path", func(s *connectors.Settings) { s.Host = "imap.example.org/x" }, true, 0},
		{"bad port", func(s *connectors.Settings) { s.Port = 70000 }, true, 0},
		{"no password", func(s *connectors.Settings) { s.Password = "" }, true, 0},
		{"unknown security", func(s *connectors.Settings) { s.Security = "ssl3" }, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.change(&s)
			src, err := New(s, plainDial, nil)
			if tt.wantErr {
				if ce := connErr(t, err); ce.Code != "invalid_settings" || ce.Message == "" {
					t.Errorf("error %+v", ce)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p := src.(*Source).settings.Port; p != tt.wantPort {
				t.Errorf("port %d, want %d", p, tt.wantPort)
			}
		})
	}
}
