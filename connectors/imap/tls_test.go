package imap

import (
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"testing"

	"confidant/connectors"
	"confidant/internal/testmail"
)

// TestSyncTLS syncs over implicit TLS and over STARTTLS with a server
// certificate the source trusts, and refuses one it does not.
func TestSyncTLS(t *testing.T) {
	srv := startServer(t, testmail.IMAPOptions{TLS: true})
	c := srv.Login(t, testUser, testPassword)
	testmail.Append(t, c, "INBOX", numbered(1, 100))

	tests := []struct {
		name     string
		security connectors.Security
		host     string
		port     int
		trusted  bool
		code     string
	}{
		{"implicit TLS", connectors.SecurityTLS, "127.0.0.1", srv.TLSPort, true, ""},
		{"STARTTLS", connectors.SecuritySTARTTLS, "127.0.0.1", srv.Port, true, ""},
		{"server name checked", connectors.SecurityTLS, "localhost", srv.TLSPort, true, ""},
		{"untrusted certificate", connectors.SecurityTLS, "127.0.0.1", srv.TLSPort, false, "tls"},
		{"untrusted certificate on STARTTLS", connectors.SecuritySTARTTLS, "127.0.0.1", srv.Port, false, "tls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := newSource(connectors.Settings{
				Kind: connectors.KindIMAP, Host: tt.host, Port: tt.port, Security: tt.security,
				Username: testUser, Password: testPassword,
			}, func(ctx context.Context, network, addr string) (net.Conn, error) {
				if want := net.JoinHostPort(tt.host, strconv.Itoa(tt.port)); addr != want {
					t.Errorf("dialed %s, want %s", addr, want)
				}
				return plainDial(ctx, network, addr)
			})
			if err != nil {
				t.Fatal(err)
			}
			if tt.trusted {
				s.tlsConfig = &tls.Config{RootCAs: srv.CertPool}
			}
			rec := &recorder{}
			err = s.Sync(context.Background(), nil, rec)
			if tt.code != "" {
				if ce := connErr(t, err); ce.Code != tt.code || ce.Retry {
					t.Errorf("error %+v, want %s without retry", ce, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("Sync: %v", err)
			}
			if n := len(rec.mails()); n != 1 {
				t.Errorf("synced %d, want 1", n)
			}
		})
	}
}
