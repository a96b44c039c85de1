package config

import (
	"strings"
	"testing"
)

func TestOAuthFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    OAuthConfig
		wantErr string
	}{
		{name: "none configured", want: OAuthConfig{MicrosoftTenant: "common"}},
		{name: "both", env: map[string]string{"CONFIDANT_GOOGLE_CLIENT_ID": "g-id", "CONFIDANT_GOOGLE_CLIENT_SECRET": "g-secret",
			"CONFIDANT_MICROSOFT_CLIENT_ID": "m-id", "CONFIDANT_MICROSOFT_CLIENT_SECRET": "m-secret", "CONFIDANT_MICROSOFT_TENANT": "organizations"},
			want: OAuthConfig{GoogleClientID: "g-id", GoogleClientSecret: "g-secret", MicrosoftClientID: "m-id", MicrosoftClientSecret: "m-secret", MicrosoftTenant: "organizations"}},
		{name: "fake endpoints", env: map[string]string{"CONFIDANT_GOOGLE_BASE_URL": "http://127.0.0.1:9999"},
			want: OAuthConfig{MicrosoftTenant: "common", GoogleBaseURL: "http://127.0.0.1:9999"}},
		{name: "bad base URL", env: map[string]string{"CONFIDANT_MICROSOFT_BASE_URL": "file:///etc"}, wantErr: "CONFIDANT_MICROSOFT_BASE_URL \"file:///etc\": want an http(s) URL"},
		{name: "base URL refused in a TEE", env: map[string]string{"CONFIDANT_REQUIRE_TEE": "1", "CONFIDANT_BACKEND_URL": "https://gpu.example",
			"CONFIDANT_BACKEND_ALLOW": "mrtd=" + strings.Repeat("ab", 48), "CONFIDANT_GOOGLE_BASE_URL": "https://evil.example"}, wantErr: "refused with CONFIDANT_REQUIRE_TEE=1"},
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
			if c.OAuth != tt.want {
				t.Errorf("oauth = %+v, want %+v", c.OAuth, tt.want)
			}
		})
	}
}
