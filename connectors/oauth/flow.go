package oauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"confidant/connectors"
	"confidant/store"
)

// Errors of the flow, for the handler to tell a person what happened.
var (
	// ErrNotOffered: no client id is configured for that kind.
	ErrNotOffered = errors.New("oauth: this kind of account is not offered")
	// ErrBadState: the state is unknown, used, expired or another user's.
	ErrBadState = errors.New("oauth: unknown, used or expired state")
	// ErrExchange: the provider refused the code, could not be reached,
	// or would not say which account the tokens are for.
	ErrExchange = errors.New("oauth: the provider refused the authorization code")
)

// States keeps pending authorization requests; *store.Store is one.
type States interface {
	SaveOAuthState(ctx context.Context, st store.OAuthState) error
	TakeOAuthState(ctx context.Context, userID uuid.UUID, state string, now time.Time) (store.OAuthState, error)
}

// StateTTL is how long a person has to consent at the provider.
const StateTTL = 10 * time.Minute

// Flow runs the authorization code flow with PKCE (S256).
type Flow struct {
	providers   map[connectors.Kind]Provider
	states      States
	redirectURL string
	client      *http.Client
	now         func() time.Time
}

// NewFlow returns a flow for the providers that have a client id.
// redirectURL is the app's callback; dial is the guarded dialer.
func NewFlow(providers []Provider, states States, redirectURL string, dial connectors.Dialer, now func() time.Time) *Flow {
	if now == nil {
		now = time.Now
	}
	f := &Flow{providers: map[connectors.Kind]Provider{}, states: states, redirectURL: redirectURL, client: HTTPClient(dial), now: now}
	for _, p := range providers {
		if p.ClientID != "" {
			f.providers[p.Kind] = p
		}
	}
	return f
}

// Offered lists the kinds that can be connected, in the pages' order.
func (f *Flow) Offered() []connectors.Kind {
	var out []connectors.Kind
	for _, k := range connectors.Kinds() {
		if _, ok := f.providers[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

// Start records a new authorization request for the user and returns the
// provider's authorize URL to send the browser to.
func (f *Flow) Start(ctx context.Context, userID uuid.UUID, kind connectors.Kind) (string, error) {
	p, ok := f.providers[kind]
	if !ok {
		return "", ErrNotOffered
	}
	state, err := randomState()
	if err != nil {
		return "", err
	}
	verifier := oauth2.GenerateVerifier()
	now := f.now()
	if err := f.states.SaveOAuthState(ctx, store.OAuthState{ID: uuid.New(), UserID: userID, Kind: string(kind),
		State: state, Verifier: verifier, CreatedAt: now, ExpiresAt: now.Add(StateTTL)}); err != nil {
		return "", fmt.Errorf("oauth start: %w", err)
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	for k, vs := range p.AuthParams {
		for _, v := range vs {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	return p.config(f.redirectURL).AuthCodeURL(state, opts...), nil
}

// Finish takes the user's pending request for state (once), exchanges the
// code with its verifier and returns the settings to connect: the tokens
// and the signed-in address.
func (f *Flow) Finish(ctx context.Context, userID uuid.UUID, state, code string) (connectors.Settings, error) {
	st, err := f.states.TakeOAuthState(ctx, userID, state, f.now())
	if errors.Is(err, store.ErrNotFound) {
		return connectors.Settings{}, ErrBadState
	}
	if err != nil {
		return connectors.Settings{}, fmt.Errorf("oauth finish: %w", err)
	}
	p, ok := f.providers[connectors.Kind(st.Kind)]
	if !ok {
		return connectors.Settings{}, ErrNotOffered
	}
	if code == "" {
		return connectors.Settings{}, fmt.Errorf("%w: no code", ErrExchange)
	}
	tok, err := p.config(f.redirectURL).Exchange(withClient(ctx, f.client), code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return connectors.Settings{}, fmt.Errorf("%w: %s", ErrExchange, describe(err))
	}
	s := connectors.Settings{Kind: p.Kind, AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, TokenExpiry: tok.Expiry.UTC()}
	if p.Account != nil {
		if s.Account, err = p.Account(ctx, f.client, tok.AccessToken); err != nil {
			return connectors.Settings{}, fmt.Errorf("%w: asking for the account: %v", ErrExchange, err)
		}
	}
	return s, nil
}

// describe names a token endpoint failure without the response body.
func describe(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return fmt.Sprintf("token endpoint: status %d, error %q", status, re.ErrorCode)
	}
	return err.Error()
}

func randomState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("oauth state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
