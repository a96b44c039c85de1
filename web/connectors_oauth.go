package web

import (
	"context"

	"github.com/google/uuid"

	"confidant/config"
	"confidant/connectors"
	"confidant/connectors/google"
	"confidant/connectors/graph"
	"confidant/connectors/oauth"
	"confidant/handlers"
)

// oauthCallbackPath is where the providers send the browser back; it is
// the redirect URI to register with Google and Microsoft.
const oauthCallbackPath = "/connections/oauth/callback"

// googleOptions and graphOptions are the connectors' settings from the
// configuration.
func googleOptions(c *config.Config) google.Options {
	return google.Options{ClientID: c.OAuth.GoogleClientID, ClientSecret: c.OAuth.GoogleClientSecret, BaseURL: c.OAuth.GoogleBaseURL}
}

func graphOptions(c *config.Config) graph.Options {
	return graph.Options{ClientID: c.OAuth.MicrosoftClientID, ClientSecret: c.OAuth.MicrosoftClientSecret,
		Tenant: c.OAuth.MicrosoftTenant, BaseURL: c.OAuth.MicrosoftBaseURL}
}

// newOAuthFlow is the authorization code flow for the providers that have
// a client id configured. It dials through the connectors' guard.
func newOAuthFlow(d Deps, conns *connectors.Service) *oauth.Flow {
	providers := []oauth.Provider{google.Provider(googleOptions(d.Config)), graph.Provider(graphOptions(d.Config))}
	dial := d.OAuthDial
	if dial == nil && conns != nil {
		dial = conns.Dial
	}
	return oauth.NewFlow(providers, d.Store, d.Config.Origin.String()+oauthCallbackPath, dial, d.Now)
}

// oauthConnect is what the callback connects an account with: Deps'
// ConnectOAuth when a test sets one, else the connectors service.
func oauthConnect(d Deps, conns *connectors.Service) handlers.ConnectOAuth {
	if d.ConnectOAuth != nil || conns == nil {
		return d.ConnectOAuth
	}
	return func(ctx context.Context, userID uuid.UUID, s connectors.Settings) (uuid.UUID, error) {
		c, err := conns.Connect(ctx, userID, s)
		return c.ID, err
	}
}

// withOAuthFactories adds the configured OAuth kinds' factories to the
// given ones (which win, so tests can put in their own).
func withOAuthFactories(given map[connectors.Kind]connectors.SourceFactory, c *config.Config) map[connectors.Kind]connectors.SourceFactory {
	out := OAuthFactories(c)
	for k, f := range given {
		out[k] = f
	}
	return out
}

// OAuthFactories returns the source factories of the OAuth kinds that are
// configured, for the connectors service's factory map.
func OAuthFactories(c *config.Config) map[connectors.Kind]connectors.SourceFactory {
	out := map[connectors.Kind]connectors.SourceFactory{}
	if c.OAuth.GoogleClientID != "" {
		out[connectors.KindGmail] = google.Factory(googleOptions(c))
	}
	if c.OAuth.MicrosoftClientID != "" {
		out[connectors.KindMicrosoft] = graph.Factory(graphOptions(c))
	}
	return out
}
