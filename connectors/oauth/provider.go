// Package oauth connects OAuth 2.0 mail and calendar providers (Google,
// Microsoft 365): the authorization code flow with PKCE and a single-use
// state bound to the user, and an HTTP client that refreshes tokens
// before they expire and on a 401, reporting new ones to be sealed, and a
// JSON API caller that waits out rate limits and maps failures to
// *connectors.Error for the connectors built on it.
package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"confidant/connectors"
)

// Endpoints are a provider's OAuth URLs.
type Endpoints struct {
	AuthURL   string
	TokenURL  string
	RevokeURL string // "" where the provider has no token revocation
}

// Provider is one OAuth provider as the app is registered with it.
type Provider struct {
	Kind         connectors.Kind
	ClientID     string
	ClientSecret string
	Endpoints    Endpoints
	Scopes       []string
	// AuthParams are added to the authorize URL, e.g. access_type=offline.
	AuthParams url.Values
	// Account asks the provider which address an access token belongs to.
	Account func(ctx context.Context, client *http.Client, accessToken string) (string, error)
}

// config is the provider as golang.org/x/oauth2 sees it.
func (p Provider) config(redirectURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.ClientID,
		ClientSecret: p.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: p.Endpoints.AuthURL, TokenURL: p.Endpoints.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL:  redirectURL,
		Scopes:       p.Scopes,
	}
}

// HTTPClient returns a client that dials only through dial, the app's
// guarded dialer, with bounded timeouts and no proxy from the environment.
func HTTPClient(dial connectors.Dialer) *http.Client {
	if dial == nil {
		d := &net.Dialer{Timeout: 15 * time.Second}
		dial = d.DialContext
	}
	return &http.Client{
		Timeout: 2 * time.Minute,
		Transport: &http.Transport{
			DialContext:           dial,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: time.Minute,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   4,
		},
	}
}

// withClient makes golang.org/x/oauth2 use client for token requests.
func withClient(ctx context.Context, client *http.Client) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, client)
}

// GetJSON asks url with accessToken, before any Client exists (as an
// Account func does), and decodes a 200 answer into out; what names the
// request in errors.
func GetJSON(ctx context.Context, client *http.Client, url, accessToken, what string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: status %d", what, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
