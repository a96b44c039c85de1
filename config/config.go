// Package config reads Confidant's settings from the environment and checks
// them, so that a mistake is reported at start-up in words a person understands.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Registration policies for new accounts.
const (
	RegistrationOpen   = "open"
	RegistrationInvite = "invite"
)

// Config is everything the server needs to know from its environment.
type Config struct {
	DatabaseURL  string
	Addr         string
	Origin       *url.URL
	DataDir      string
	Enclave      string // auto | dstack | simulated
	RequireTEE   bool
	BackendURLs  []string
	BackendKey   string
	BackendAllow []string
	// BackendVerifyTTL is how long a backend's verification is trusted
	// before it is verified again (CONFIDANT_BACKEND_VERIFY_TTL, 30m).
	BackendVerifyTTL time.Duration
	// EmbedModel is the backends' embedding model, for memory and
	// documents (CONFIDANT_EMBED_MODEL, sim-embed).
	EmbedModel   string
	Registration string // open | invite

	// TransferAllow pins the measurements or compose hashes a fork
	// transfer may send to (CONFIDANT_TRANSFER_ALLOW; empty: any genuine
	// TEE that passes every other check).
	TransferAllow []string
	// TransferAllowSimulated lets transfers run between simulated enclaves
	// (CONFIDANT_TRANSFER_ALLOW_SIMULATED=1; development only, and only when
	// both sides set it).
	TransferAllowSimulated bool

	// ShutdownTimeout bounds how long in-flight requests may run after a
	// shutdown signal.
	ShutdownTimeout time.Duration

	// OAuth mail and calendar connectors: a kind without a client id is
	// not offered. CONFIDANT_GOOGLE_CLIENT_ID, _SECRET;
	// CONFIDANT_MICROSOFT_CLIENT_ID, _SECRET, _TENANT (common).
	OAuth OAuthConfig
}

// OAuthConfig is how the app is registered with the OAuth providers.
type OAuthConfig struct {
	GoogleClientID        string
	GoogleClientSecret    string
	MicrosoftClientID     string
	MicrosoftClientSecret string
	MicrosoftTenant       string
	// GoogleBaseURL and MicrosoftBaseURL put all of a provider's
	// endpoints under one URL, a local fake for tests and development
	// (CONFIDANT_GOOGLE_BASE_URL, CONFIDANT_MICROSOFT_BASE_URL); empty
	// means the providers' own hosts. Refused with CONFIDANT_REQUIRE_TEE=1:
	// they would send users' tokens wherever the operator points them.
	GoogleBaseURL    string
	MicrosoftBaseURL string
}

// DefaultDatabaseURL connects over the local Postgres socket as the current
// OS user to the database "confidant".
const DefaultDatabaseURL = "host=/var/run/postgresql dbname=confidant"

// Getenv looks up one environment variable; os.Getenv satisfies it.
type Getenv func(string) string

// FromEnv builds a Config from the environment and validates it. Every
// problem found is reported, not just the first.
func FromEnv(getenv Getenv) (*Config, error) {
	get := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	var problems []error
	c := &Config{
		DatabaseURL:     get("DATABASE_URL", DefaultDatabaseURL),
		Addr:            get("CONFIDANT_ADDR", "127.0.0.1:8080"),
		DataDir:         get("CONFIDANT_DATA_DIR", "./data"),
		Enclave:         get("CONFIDANT_ENCLAVE", "auto"),
		BackendURLs:     splitList(getenv("CONFIDANT_BACKEND_URL")),
		BackendKey:      getenv("CONFIDANT_BACKEND_KEY"),
		BackendAllow:    splitList(getenv("CONFIDANT_BACKEND_ALLOW")),
		EmbedModel:      get("CONFIDANT_EMBED_MODEL", "sim-embed"),
		Registration:    get("CONFIDANT_REGISTRATION", RegistrationOpen),
		ShutdownTimeout: 15 * time.Second,
	}

	origin, err := ParseOrigin(get("CONFIDANT_ORIGIN", "http://localhost:8080"))
	if err != nil {
		problems = append(problems, fmt.Errorf("CONFIDANT_ORIGIN: %w", err))
	}
	c.Origin = origin

	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		problems = append(problems, fmt.Errorf("CONFIDANT_ADDR %q: want host:port, for example 127.0.0.1:8080", c.Addr))
	}
	switch c.Enclave {
	case "auto", "dstack", "simulated":
	default:
		problems = append(problems, fmt.Errorf("CONFIDANT_ENCLAVE %q: want auto, dstack or simulated", c.Enclave))
	}
	switch v := get("CONFIDANT_REQUIRE_TEE", "0"); v {
	case "0", "false":
	case "1", "true":
		c.RequireTEE = true
	default:
		problems = append(problems, fmt.Errorf("CONFIDANT_REQUIRE_TEE %q: want 0 or 1", v))
	}
	c.BackendVerifyTTL = 30 * time.Minute
	if v := get("CONFIDANT_BACKEND_VERIFY_TTL", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > 24*time.Hour {
			problems = append(problems, fmt.Errorf("CONFIDANT_BACKEND_VERIFY_TTL %q: want a duration from 1m to 24h, for example 30m", v))
		}
		c.BackendVerifyTTL = d
	}
	c.TransferAllow = splitList(getenv("CONFIDANT_TRANSFER_ALLOW"))
	switch v := get("CONFIDANT_TRANSFER_ALLOW_SIMULATED", "0"); v {
	case "0", "false":
	case "1", "true":
		c.TransferAllowSimulated = true
	default:
		problems = append(problems, fmt.Errorf("CONFIDANT_TRANSFER_ALLOW_SIMULATED %q: want 0 or 1", v))
	}
	switch c.Registration {
	case RegistrationOpen, RegistrationInvite:
	default:
		problems = append(problems, fmt.Errorf("CONFIDANT_REGISTRATION %q: want open or invite", c.Registration))
	}
	for _, u := range c.BackendURLs {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			problems = append(problems, fmt.Errorf("CONFIDANT_BACKEND_URL %q: want an http(s) URL", u))
		}
	}
	if c.RequireTEE && (len(c.BackendURLs) == 0 || len(c.BackendAllow) == 0) {
		// In a TEE only fully verified backends get user data, and that
		// needs real backends whose measurements are pinned.
		problems = append(problems, errors.New("CONFIDANT_REQUIRE_TEE=1 needs CONFIDANT_BACKEND_URL and CONFIDANT_BACKEND_ALLOW (the backends' measurements or image digests): without them no backend can be verified"))
	}
	c.OAuth = OAuthConfig{
		GoogleClientID: get("CONFIDANT_GOOGLE_CLIENT_ID", ""), GoogleClientSecret: get("CONFIDANT_GOOGLE_CLIENT_SECRET", ""),
		MicrosoftClientID: get("CONFIDANT_MICROSOFT_CLIENT_ID", ""), MicrosoftClientSecret: get("CONFIDANT_MICROSOFT_CLIENT_SECRET", ""),
		MicrosoftTenant: get("CONFIDANT_MICROSOFT_TENANT", "common"),
		GoogleBaseURL:   get("CONFIDANT_GOOGLE_BASE_URL", ""), MicrosoftBaseURL: get("CONFIDANT_MICROSOFT_BASE_URL", ""),
	}
	for _, kv := range [][2]string{{"CONFIDANT_GOOGLE_BASE_URL", c.OAuth.GoogleBaseURL}, {"CONFIDANT_MICROSOFT_BASE_URL", c.OAuth.MicrosoftBaseURL}} {
		key, v := kv[0], kv[1]
		if v == "" {
			continue
		}
		if p, err := url.Parse(v); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			problems = append(problems, fmt.Errorf("%s %q: want an http(s) URL", key, v))
		}
		if c.RequireTEE {
			problems = append(problems, fmt.Errorf("%s is refused with CONFIDANT_REQUIRE_TEE=1: it would send users' tokens to another server", key))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("configuration: %w", errors.Join(problems...))
	}
	return c, nil
}

// ParseOrigin checks that s is a bare http(s) origin with a domain name:
// WebAuthn refuses IP addresses as relying-party id.
func ParseOrigin(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q: want http:// or https://", s)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%q has no host", s)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q: want only scheme, host and port, without a path", s)
	}
	if net.ParseIP(u.Hostname()) != nil {
		return nil, fmt.Errorf("%q uses an IP address; passkeys need a domain name (use http://localhost:PORT for local development)", s)
	}
	if u.Scheme == "http" && u.Hostname() != "localhost" && !strings.HasSuffix(u.Hostname(), ".localhost") {
		return nil, fmt.Errorf("%q: plain http is only allowed for localhost; browsers refuse passkeys elsewhere without https", s)
	}
	u.Path = ""
	return u, nil
}

// Secure reports whether the app is served over TLS, which decides cookie
// Secure flags and HSTS.
func (c *Config) Secure() bool { return c.Origin.Scheme == "https" }

// RPID is the WebAuthn relying-party id: the origin's host name.
func (c *Config) RPID() string { return c.Origin.Hostname() }

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}
