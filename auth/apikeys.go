package auth

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/google/uuid"

	"confidant/store"
)

// API key scopes (DESIGN.md): chat is the default; export is opt-in and,
// like every key, granted only after a passkey confirmation.
const (
	ScopeChat   = "chat"
	ScopeRead   = "read"
	ScopeWrite  = "write"
	ScopeExport = "export"
)

// AllScopes lists every scope in display order.
func AllScopes() []string { return []string{ScopeChat, ScopeRead, ScopeWrite, ScopeExport} }

// APIKeyPrefix starts every key, so leaked keys are easy to recognise.
const APIKeyPrefix = "cfk_"

// Failures of API key handling.
var (
	ErrBadScopes   = &Error{"invalid_scopes", "Choose at least one scope: chat, read, write or export.", 400}
	ErrNoAPIKey    = &Error{"invalid_api_key", "The API key is missing, malformed, revoked or unknown.", 401}
	ErrScopeDenied = &Error{"insufficient_scope", "This API key does not have the scope this request needs.", 403}
)

// ActionCreateAPIKey is the step-up action that confirms a new API key.
const ActionCreateAPIKey = "create_api_key"

// NewAPIKey is a key just created: its secret is shown once.
type NewAPIKey struct {
	Key    store.APIKey
	Secret string
}

// CreateAPIKey makes a key for the user; call it only after FinishStepUp
// for ActionCreateAPIKey (or from the development CLI).
func (s *Service) CreateAPIKey(ctx context.Context, userID uuid.UUID, name string, scopes []string) (NewAPIKey, error) {
	name, err := cleanName(name, ErrBadName)
	if err != nil {
		return NewAPIKey{}, err
	}
	scopes, err = CleanScopes(scopes)
	if err != nil {
		return NewAPIKey{}, err
	}
	secret := APIKeyPrefix + newToken()
	k := store.APIKey{ID: uuid.New(), UserID: userID, Name: name, TokenHash: HashToken(secret), Scopes: scopes, CreatedAt: s.now()}
	if err := s.store.CreateAPIKey(ctx, k); err != nil {
		return NewAPIKey{}, err
	}
	return NewAPIKey{Key: k, Secret: secret}, nil
}

// CleanScopes checks and orders a list of scopes; empty means chat only.
func CleanScopes(scopes []string) ([]string, error) {
	if len(scopes) == 0 {
		return []string{ScopeChat}, nil
	}
	var out []string
	for _, want := range AllScopes() {
		if slices.Contains(scopes, want) {
			out = append(out, want)
		}
	}
	if len(out) != len(dedupe(scopes)) {
		return nil, ErrBadScopes
	}
	return out, nil
}

func dedupe(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

// APIKeys lists the user's keys.
func (s *Service) APIKeys(ctx context.Context, userID uuid.UUID) ([]store.APIKey, error) {
	return s.store.APIKeys(ctx, userID)
}

// RevokeAPIKey deletes one of the user's keys. Here the key stops working
// at once; on other replicas within APIKeyCacheTTL.
func (s *Service) RevokeAPIKey(ctx context.Context, userID, id uuid.UUID) error {
	err := s.store.DeleteAPIKey(ctx, userID, id)
	s.apiKeys.dropKey(id)
	return asAuthError(err)
}

// AuthenticateAPIKey returns the key and user a bearer token names. A
// lookup is reused for APIKeyCacheTTL (see RevokeAPIKey); a deleted
// account's data stays out of reach regardless, as the store refuses its
// key.
func (s *Service) AuthenticateAPIKey(ctx context.Context, secret string) (store.APIKey, store.User, error) {
	if !strings.HasPrefix(secret, APIKeyPrefix) || len(secret) > 128 {
		return store.APIKey{}, store.User{}, ErrNoAPIKey
	}
	hash := HashToken(secret)
	now := s.now()
	k, u, gen, ok := s.apiKeys.get(hash, now)
	if ok {
		return k, u, nil
	}
	k, u, err := s.store.APIKeyByHash(ctx, hash, now)
	if errors.Is(err, store.ErrNotFound) {
		return store.APIKey{}, store.User{}, ErrNoAPIKey
	}
	if err != nil {
		return store.APIKey{}, store.User{}, err
	}
	s.apiKeys.put(hash, k, u, now, gen)
	return k, u, nil
}
