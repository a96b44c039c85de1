package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"confidant/auth"
	"confidant/internal/softauthn"
)

// TestAPIKeyCacheRevocation proves that caching API key lookups keeps
// revocation working: on the replica that revokes at once, on another
// replica (a second Service on the same database) within APIKeyCacheTTL,
// and for a deleted account at once.
func TestAPIKeyCacheRevocation(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	other, err := auth.New(f.store, auth.Options{RPID: "localhost", Origin: origin, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	alice := f.signUp(t, softauthn.New(origin), "alice", "")
	bob := f.signUp(t, softauthn.New(origin), "bob", "")

	newKey := func(name string) auth.NewAPIKey {
		t.Helper()
		k, err := f.svc.CreateAPIKey(ctx, alice.User.ID, name, nil)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	authenticates := func(svc *auth.Service, secret string) error {
		t.Helper()
		k, u, err := svc.AuthenticateAPIKey(ctx, secret)
		if err == nil && (u.ID != alice.User.ID || k.UserID != alice.User.ID) {
			t.Fatalf("key of %s authenticated as user %s", alice.User.ID, u.ID)
		}
		return err
	}

	first, second := newKey("first"), newKey("second")
	for _, svc := range []*auth.Service{f.svc, other} {
		for _, k := range []auth.NewAPIKey{first, second} {
			if err := authenticates(svc, k.Secret); err != nil {
				t.Fatalf("fresh key: %v", err)
			}
		}
	}

	// Revoked here: refused here at once, though it was cached.
	if err := f.svc.RevokeAPIKey(ctx, alice.User.ID, first.Key.ID); err != nil {
		t.Fatal(err)
	}
	if err := authenticates(f.svc, first.Secret); !errors.Is(err, auth.ErrNoAPIKey) {
		t.Fatalf("revoked key on the revoking replica: %v, want ErrNoAPIKey", err)
	}
	if err := authenticates(f.svc, second.Secret); err != nil {
		t.Fatalf("the other key of the user: %v", err)
	}
	// The other replica may use its cached lookup until the TTL runs out,
	// and not a moment longer.
	f.clock.Advance(auth.APIKeyCacheTTL - time.Millisecond)
	if err := authenticates(other, first.Secret); err != nil {
		t.Fatalf("cached lookup on the other replica within the TTL: %v", err)
	}
	f.clock.Advance(time.Millisecond)
	if err := authenticates(other, first.Secret); !errors.Is(err, auth.ErrNoAPIKey) {
		t.Fatalf("revoked key on another replica after the TTL: %v, want ErrNoAPIKey", err)
	}

	// Another user cannot revoke Alice's key, and trying leaves it cached
	// and working.
	if err := f.svc.RevokeAPIKey(ctx, bob.User.ID, second.Key.ID); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("revoking another user's key: %v, want ErrNotFound", err)
	}
	if err := authenticates(f.svc, second.Secret); err != nil {
		t.Fatalf("key after someone else's failed revocation: %v", err)
	}

	// A deleted account's keys stop at once.
	if err := f.svc.DeleteAccount(ctx, alice.User.ID); err != nil {
		t.Fatal(err)
	}
	if err := authenticates(f.svc, second.Secret); !errors.Is(err, auth.ErrNoAPIKey) {
		t.Fatalf("key of a deleted account: %v, want ErrNoAPIKey", err)
	}
	// Unknown and malformed tokens are refused, and never cached.
	for _, secret := range []string{auth.APIKeyPrefix + "unknown", "nope", ""} {
		if err := authenticates(f.svc, secret); !errors.Is(err, auth.ErrNoAPIKey) {
			t.Errorf("token %q: %v, want ErrNoAPIKey", secret, err)
		}
	}
}
