// Package imap syncs a mail account over IMAP into connectors batches and
// saves confirmed drafts to its drafts folder; it never sends mail and
// never marks messages read.
package imap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"confidant/connectors"
	"confidant/connectors/mailparse"
)

// Defaults for a Source; tests lower them.
const (
	defaultBatchSize = 100
	// defaultMaxFetch bounds the bytes fetched of one message
	// (BODY.PEEK[]<0.N>): enough for the text of nearly every mail,
	// while attachments beyond it are not downloaded.
	defaultMaxFetch = 1 << 20
	// defaultIOTimeout bounds each read or write on the connection.
	defaultIOTimeout = 2 * time.Minute
)

// Source is an IMAP account. It implements connectors.Source and
// connectors.DraftSaver.
type Source struct {
	settings  connectors.Settings
	dial      connectors.Dialer
	tlsConfig *tls.Config // nil: the system roots, server name = Host
	batchSize int
	maxFetch  int64
	maxText   int
	ioTimeout time.Duration
}

var (
	_ connectors.Source     = (*Source)(nil)
	_ connectors.DraftSaver = (*Source)(nil)
)

// New returns the Source for an IMAP account; it is a
// connectors.SourceFactory. It checks the settings but does not connect.
func New(s connectors.Settings, dial connectors.Dialer, _ connectors.TokenSaver) (connectors.Source, error) {
	return newSource(s, dial)
}

func newSource(s connectors.Settings, dial connectors.Dialer) (*Source, error) {
	if dial == nil {
		return nil, errors.New("imap: no dialer")
	}
	s.Host = strings.TrimSpace(s.Host)
	invalid := func(msg string) error {
		return &connectors.Error{Code: "invalid_settings", Message: msg}
	}
	switch {
	case s.Host == "" || strings.ContainsAny(s.Host, " /\\@"):
		return nil, invalid("Enter the mail server's host name, e.g. imap.example.org.")
	case s.Port < 0 || s.Port > 65535:
		return nil, invalid("The port must be between 1 and 65535.")
	case s.Username == "" || s.Password == "":
		return nil, invalid("Enter the user name and password of the mail account.")
	}
	switch s.Security {
	case connectors.SecurityTLS, "":
		s.Security = connectors.SecurityTLS
		if s.Port == 0 {
			s.Port = 993
		}
	case connectors.SecuritySTARTTLS:
		if s.Port == 0 {
			s.Port = 143
		}
	case connectors.SecurityNone:
		if !isLoopback(s.Host) {
			return nil, invalid("Unencrypted IMAP is only allowed to this machine; choose TLS or STARTTLS.")
		}
		if s.Port == 0 {
			s.Port = 143
		}
	default:
		return nil, invalid("Security must be tls, starttls or none.")
	}
	return &Source{
		settings:  s,
		dial:      dial,
		batchSize: defaultBatchSize,
		maxFetch:  defaultMaxFetch,
		maxText:   mailparse.DefaultMaxText,
		ioTimeout: defaultIOTimeout,
	}, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// connect dials, secures and logs in. The returned stop ends the watch
// that closes the connection when ctx ends; close the client after it.
func (s *Source) connect(ctx context.Context) (*imapclient.Client, func() bool, error) {
	addr := net.JoinHostPort(s.settings.Host, strconv.Itoa(s.settings.Port))
	raw, err := s.dial(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, &connectors.Error{Code: "unreachable", Retry: true, Err: err,
			Message: "Could not connect to " + addr + ". Check the server name and port."}
	}
	conn := &deadlineConn{Conn: raw, timeout: s.ioTimeout}
	stopDial := context.AfterFunc(ctx, func() { conn.Close() })
	defer stopDial()

	tlsConfig := s.tlsConfig.Clone()
	if tlsConfig == nil {
		tlsConfig = &tls.Config{}
	}
	tlsConfig.ServerName = s.settings.Host
	tlsConfig.MinVersion = tls.VersionTLS12
	opts := &imapclient.Options{TLSConfig: tlsConfig}

	var c *imapclient.Client
	switch s.settings.Security {
	case connectors.SecurityTLS:
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, nil, s.fail(ctx, err)
		}
		c = imapclient.New(tc, opts)
	case connectors.SecuritySTARTTLS:
		c, err = imapclient.NewStartTLS(conn, opts)
		if err != nil {
			conn.Close()
			var imapErr *imap.Error
			if errors.As(err, &imapErr) {
				return nil, nil, &connectors.Error{Code: "tls", Err: err,
					Message: "The server does not offer STARTTLS. Choose TLS or another port."}
			}
			return nil, nil, s.fail(ctx, err)
		}
	default:
		c = imapclient.New(conn, opts)
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	fail := func(err error) (*imapclient.Client, func() bool, error) {
		stop()
		c.Close()
		return nil, nil, err
	}
	if err := c.WaitGreeting(); err != nil {
		return fail(s.fail(ctx, err))
	}
	if c.Caps().Has(imap.CapLoginDisabled) {
		return fail(&connectors.Error{Code: "tls",
			Message: "The server refuses to log in without encryption. Choose TLS or STARTTLS."})
	}
	if err := c.Login(s.settings.Username, s.settings.Password).Wait(); err != nil {
		var imapErr *imap.Error
		if errors.As(err, &imapErr) && imapErr.Code != imap.ResponseCodeUnavailable {
			return fail(&connectors.Error{Code: "auth_failed", Err: fmt.Errorf("imap: LOGIN refused [%s]", imapErr.Code),
				Message: "The server refused the user name or password."})
		}
		return fail(s.fail(ctx, err))
	}
	return c, stop, nil
}

// fail turns an error from the connection into a *connectors.Error a
// person can act on, or ctx's error when the sync was cancelled. Server
// texts are not kept: they may quote user content.
func (s *Source) fail(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var (
		imapErr   *imap.Error
		certErr   *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
		alertErr  tls.AlertError
	)
	switch {
	case errors.As(err, &certErr):
		return &connectors.Error{Code: "tls", Err: err,
			Message: "The server's TLS certificate is not valid for " + s.settings.Host + "."}
	case errors.As(err, &recordErr), errors.As(err, &alertErr):
		return &connectors.Error{Code: "tls", Err: err,
			Message: "The TLS handshake with the server failed. Check the port and security setting."}
	case errors.As(err, &imapErr):
		code := imapErr.Code
		if code == "" {
			code = imap.ResponseCode(imapErr.Type)
		}
		return &connectors.Error{Code: "server", Retry: true, Err: errors.New("imap " + string(code)),
			Message: "The mail server refused a request; Confidant will try again later."}
	}
	return &connectors.Error{Code: "unreachable", Retry: true, Err: err,
		Message: "The connection to the mail server was lost; Confidant will try again later."}
}

// deadlineConn bounds every read and write, so that a server that stops
// answering ends the sync instead of hanging it.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (c *deadlineConn) Read(b []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(b)
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(b)
}
