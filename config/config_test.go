package config

import (
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c *Config)
	}{
		{name: "defaults", env: nil, check: func(t *testing.T, c *Config) {
			if c.BackendVerifyTTL != 30*time.Minute {
				t.Errorf("backend verify ttl %v, want 30m", c.BackendVerifyTTL)
			}
			if c.Addr != "127.0.0.1:8080" || c.Origin.String() != "http://localhost:8080" || c.Enclave != "auto" ||
				c.Registration != "open" || c.RequireTEE || c.DataDir != "./data" || c.DatabaseURL != DefaultDatabaseURL {
				t.Errorf("unexpected defaults: %+v", c)
			}
			if c.RPID() != "localhost" || c.Secure() {
				t.Errorf("RPID %q secure %v", c.RPID(), c.Secure())
			}
		}},
		{name: "https origin", env: map[string]string{"CONFIDANT_ORIGIN": "https://chat.example.org"}, check: func(t *testing.T, c *Config) {
			if !c.Secure() || c.RPID() != "chat.example.org" {
				t.Errorf("got secure %v rpid %q", c.Secure(), c.RPID())
			}
		}},
		{name: "backend list", env: map[string]string{"CONFIDANT_BACKEND_URL": "http://a:1, https://b"}, check: func(t *testing.T, c *Config) {
			if len(c.BackendURLs) != 2 || c.BackendURLs[1] != "https://b" {
				t.Errorf("backends %v", c.BackendURLs)
			}
		}},
		{name: "ip origin", env: map[string]string{"CONFIDANT_ORIGIN": "http://127.0.0.1:8080"}, wantErr: "IP address"},
		{name: "http non-local", env: map[string]string{"CONFIDANT_ORIGIN": "http://example.org"}, wantErr: "only allowed for localhost"},
		{name: "origin with path", env: map[string]string{"CONFIDANT_ORIGIN": "https://example.org/app"}, wantErr: "without a path"},
		{name: "bad enclave", env: map[string]string{"CONFIDANT_ENCLAVE": "sgx"}, wantErr: "want auto, dstack or simulated"},
		{name: "bad registration", env: map[string]string{"CONFIDANT_REGISTRATION": "closed"}, wantErr: "want open or invite"},
		{name: "bad require tee", env: map[string]string{"CONFIDANT_REQUIRE_TEE": "yes"}, wantErr: "want 0 or 1"},
		{name: "bad addr", env: map[string]string{"CONFIDANT_ADDR": "8080"}, wantErr: "want host:port"},
		{name: "backend verify ttl", env: map[string]string{"CONFIDANT_BACKEND_VERIFY_TTL": "10m"}, check: func(t *testing.T, c *Config) {
			if c.BackendVerifyTTL != 10*time.Minute {
				t.Errorf("ttl %v", c.BackendVerifyTTL)
			}
		}},
		{name: "bad backend verify ttl", env: map[string]string{"CONFIDANT_BACKEND_VERIFY_TTL": "5s"}, wantErr: "want a duration from 1m to 24h"},
		{name: "bad backend", env: map[string]string{"CONFIDANT_BACKEND_URL": "ftp://x"}, wantErr: "want an http(s) URL"},
		{name: "tee without pinned backends", env: map[string]string{"CONFIDANT_REQUIRE_TEE": "1", "CONFIDANT_BACKEND_URL": "https://gpu.example"}, wantErr: "needs CONFIDANT_BACKEND_URL and CONFIDANT_BACKEND_ALLOW"},
		{name: "tee with simulated backend", env: map[string]string{"CONFIDANT_REQUIRE_TEE": "1", "CONFIDANT_BACKEND_ALLOW": "mrtd=" + strings.Repeat("ab", 48)}, wantErr: "needs CONFIDANT_BACKEND_URL"},
		{name: "all problems reported", env: map[string]string{"CONFIDANT_ENCLAVE": "x", "CONFIDANT_REGISTRATION": "y"}, wantErr: "want open or invite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromEnv(envOf(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}
