package web

import (
	"confidant/config"
	"confidant/connectors"
	"confidant/connectors/google"
	"confidant/connectors/graph"
	"confidant/connectors/oauth"
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
// a client id configured.
func newOAuthFlow(d Deps) *oauth.Flow {
	providers := []oauth.Provider{google.Provider(googleOptions(d.Config)), graph.Provider(graphOptions(d.Config))}
	return oauth.NewFlow(providers, d.Store, d.Config.Origin.String()+oauthCallbackPath, d.OAuthDial, d.Now)
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
