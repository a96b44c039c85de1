package connectors

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"confidant/internal/netguard"
)

// InputError is a refused connection request, with a message for the
// person who filled the form. Field names the setting at fault ("" for
// the request as a whole); Code is stable for the API.
type InputError struct {
	Field   string
	Code    string
	Message string
}

func (e *InputError) Error() string { return "connectors: " + e.Code + ": " + e.Message }

// Codes of InputError.
const (
	CodeInvalidSettings  = "invalid_settings"
	CodeAddressRefused   = "address_refused"
	CodePlaintextRefused = "plaintext_refused"
	CodeUnknownKind      = "unknown_kind"
)

func invalid(field, msg string) error {
	return &InputError{Field: field, Code: CodeInvalidSettings, Message: msg}
}

// Bounds on what a form may carry.
const (
	maxHostLen       = 253
	maxCredentialLen = 4096
	resolveTimeout   = 5 * time.Second
)

// validate checks settings for a new connector and returns them cleaned
// (trimmed, defaults filled in, fields of other kinds dropped).
func (s *Service) validate(ctx context.Context, in Settings) (Settings, error) {
	if _, ok := s.opt.Factories[in.Kind]; !ok || CapabilitiesOf(in.Kind) == nil {
		return Settings{}, &InputError{Field: "kind", Code: CodeUnknownKind, Message: "Choose which kind of account to connect: imap (mail) or caldav (calendar)."}
	}
	out := Settings{Kind: in.Kind, Username: strings.TrimSpace(in.Username), Password: in.Password}
	var host string
	plaintext := false
	switch in.Kind {
	case KindIMAP:
		out.Host = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(in.Host)), ".")
		if out.Host == "" {
			return Settings{}, invalid("host", "Enter the mail server's name, for example imap.example.org.")
		}
		if len(out.Host) > maxHostLen || strings.ContainsAny(out.Host, " /:@?#") && net.ParseIP(strings.Trim(out.Host, "[]")) == nil {
			return Settings{}, invalid("host", "The server name is not valid: enter a name like imap.example.org, without a scheme or port.")
		}
		out.Security = in.Security
		if out.Security == "" {
			out.Security = SecurityTLS
		}
		switch out.Security {
		case SecurityTLS, SecuritySTARTTLS, SecurityNone:
		default:
			return Settings{}, invalid("security", `Choose the connection security: "tls", "starttls" or "none".`)
		}
		out.Port = in.Port
		if out.Port == 0 {
			out.Port = 993
			if out.Security != SecurityTLS {
				out.Port = 143
			}
		}
		if out.Port < 1 || out.Port > 65535 {
			return Settings{}, invalid("port", "The port must be a number from 1 to 65535 (993 for TLS, 143 for STARTTLS).")
		}
		host, plaintext = out.Host, out.Security == SecurityNone
	case KindCalDAV:
		raw := strings.TrimSpace(in.URL)
		u, err := url.Parse(raw)
		if raw == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || u.User != nil {
			return Settings{}, invalid("url", "Enter the calendar server's address, starting with https://, for example https://dav.example.org/.")
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return Settings{}, invalid("url", "The port in the address must be a number from 1 to 65535.")
			}
		}
		u.Fragment = ""
		out.URL = u.String()
		host, plaintext = u.Hostname(), u.Scheme == "http"
	case KindGmail, KindMicrosoft:
		if in.AccessToken == "" && in.RefreshToken == "" {
			return Settings{}, invalid("", "Connect this account through its sign-in page: it needs a token, not a password.")
		}
		out = in
		return out, nil
	}
	if out.Username == "" {
		return Settings{}, invalid("username", "Enter the user name you sign in to the server with.")
	}
	if out.Password == "" {
		return Settings{}, invalid("password", "Enter the password (an app password, if your provider offers them).")
	}
	if len(out.Username) > maxCredentialLen || len(out.Password) > maxCredentialLen {
		return Settings{}, invalid("password", "The user name or password is too long.")
	}
	if plaintext {
		if err := netguard.CheckPlaintext(host); err != nil {
			field, fix := "security", "choose TLS or STARTTLS."
			if in.Kind == KindCalDAV {
				field, fix = "url", "use an https:// address."
			}
			return Settings{}, &InputError{Field: field, Code: CodePlaintextRefused,
				Message: "Unencrypted connections are allowed only to this machine (localhost): " + fix}
		}
	}
	rctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	if _, err := s.guard.Resolve(rctx, host); errors.Is(err, netguard.ErrRefused) {
		return Settings{}, &InputError{Field: fieldOfHost(in.Kind), Code: CodeAddressRefused,
			Message: "Confidant does not connect to private, loopback or link-local addresses: enter the server's public name."}
	}
	// A name that does not resolve now is accepted: the sync reports it,
	// and a passing DNS failure must not refuse a correct server.
	return out, nil
}

func fieldOfHost(k Kind) string {
	if k == KindCalDAV {
		return "url"
	}
	return "host"
}

// displayName is how a connector is shown: the account and its server.
func displayName(s Settings) string {
	switch s.Kind {
	case KindIMAP:
		return s.Username + " on " + s.Host
	case KindCalDAV:
		if u, err := url.Parse(s.URL); err == nil {
			return s.Username + " on " + u.Host
		}
		return s.Username
	}
	if s.Account != "" {
		return s.Account
	}
	return string(s.Kind)
}
