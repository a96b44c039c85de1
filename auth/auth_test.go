package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/auth"
	"confidant/internal/softauthn"
	"confidant/internal/testdb"
	"confidant/store"
)

const (
	origin = "http://localhost:8080"
	ua     = "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	svc   *auth.Service
	store *store.Store
	clock *clock
}

func newFixture(t *testing.T, inviteOnly bool) *fixture {
	t.Helper()
	t.Parallel()
	st := testdb.NewStore(t)
	clk := &clock{t: time.Now()}
	svc, err := auth.New(st, auth.Options{RPID: "localhost", Origin: origin, InviteOnly: inviteOnly, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, store: st, clock: clk}
}

func optionsJSON(t *testing.T, ch auth.Challenge) []byte {
	t.Helper()
	b, err := json.Marshal(ch.Options)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signUp creates an account through the full ceremony.
func (f *fixture) signUp(t *testing.T, a *softauthn.Authenticator, username, invite string) auth.SignedIn {
	t.Helper()
	ctx := context.Background()
	ch, err := f.svc.BeginSignup(ctx, auth.SignupRequest{Username: username, DisplayName: "Display " + username, Invite: invite})
	if err != nil {
		t.Fatalf("BeginSignup: %v", err)
	}
	resp, _, err := a.Create(optionsJSON(t, ch))
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.svc.FinishSignup(ctx, ch.ID, resp, ua)
	if err != nil {
		t.Fatalf("FinishSignup: %v", err)
	}
	return out
}

func (f *fixture) login(t *testing.T, a *softauthn.Authenticator, username string) (auth.SignedIn, error) {
	t.Helper()
	ctx := context.Background()
	ch, err := f.svc.BeginLogin(ctx, username)
	if err != nil {
		return auth.SignedIn{}, err
	}
	resp, err := a.Get(optionsJSON(t, ch))
	if err != nil {
		t.Fatal(err)
	}
	return f.svc.FinishLogin(ctx, ch.ID, resp, ua)
}

func TestSignupAndLogin(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	a := softauthn.New(origin)
	signed := f.signUp(t, a, "Alice", "")
	if signed.User.Username != "alice" || !signed.User.IsOwner || len(signed.RecoveryCodes) != auth.RecoveryCodeCount {
		t.Fatalf("signup = %+v", signed)
	}
	if _, u, err := f.svc.Authenticate(ctx, signed.Token); err != nil || u.ID != signed.User.ID {
		t.Fatalf("Authenticate: %v", err)
	}
	for _, username := range []string{"", "ALICE"} {
		out, err := f.login(t, a, username)
		if err != nil {
			t.Fatalf("login %q: %v", username, err)
		}
		if out.User.ID != signed.User.ID || out.Token == signed.Token {
			t.Fatalf("login %q: %+v", username, out)
		}
	}
	keys, err := f.svc.Passkeys(ctx, signed.User.ID)
	if err != nil || len(keys) != 1 || keys[0].LastUsedAt == nil || keys[0].Credential.Authenticator.SignCount != 2 || keys[0].Name != "Chrome on Linux" {
		t.Fatalf("passkeys after logins: %+v %v", keys, err)
	}
	events, _ := f.svc.SecurityEvents(ctx, signed.User.ID, uuid.Nil, 10)
	if len(events) != 4 || events[0].Kind != store.EventSignIn {
		t.Errorf("events = %+v", events)
	}
	// A second account is not the owner.
	bob := f.signUp(t, softauthn.New(origin), "bob", "")
	if bob.User.IsOwner {
		t.Error("second account became owner")
	}
}

func TestSignupRefusals(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	f.signUp(t, softauthn.New(origin), "alice", "")
	tests := []struct {
		name string
		req  auth.SignupRequest
		want error
	}{
		{"taken, other case", auth.SignupRequest{Username: "ALICE", DisplayName: "x"}, auth.ErrUsernameTaken},
		{"too short", auth.SignupRequest{Username: "ab", DisplayName: "x"}, auth.ErrBadUsername},
		{"bad characters", auth.SignupRequest{Username: "al ice", DisplayName: "x"}, auth.ErrBadUsername},
		{"leading dot", auth.SignupRequest{Username: ".alice2", DisplayName: "x"}, auth.ErrBadUsername},
		{"empty display name", auth.SignupRequest{Username: "carol", DisplayName: "  "}, auth.ErrBadDisplayName},
		{"control char", auth.SignupRequest{Username: "carol", DisplayName: "a\x07b"}, auth.ErrBadDisplayName},
	}
	for _, tt := range tests {
		if _, err := f.svc.BeginSignup(ctx, tt.req); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

// TestCeremonyAttacks feeds the finish step responses that must be refused
// with a person-facing error, never accepted and never a server error.
func TestCeremonyAttacks(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	good := softauthn.New(origin)
	f.signUp(t, good, "alice", "")

	tests := []struct {
		name   string
		mutate func(a *softauthn.Authenticator)
		body   func(resp []byte) []byte
		want   error
	}{
		{name: "wrong origin", mutate: func(a *softauthn.Authenticator) { a.Origin = "http://evil.localhost:8080" }, want: auth.ErrPasskeyRejected},
		{name: "wrong rp id", mutate: func(a *softauthn.Authenticator) { a.OverrideRPID = "evil.example" }, want: auth.ErrPasskeyRejected},
		{name: "not json", body: func([]byte) []byte { return []byte("{not json") }, want: auth.ErrPasskeyRejected},
		{name: "empty", body: func([]byte) []byte { return nil }, want: auth.ErrPasskeyRejected},
		{name: "tampered signature", body: func(resp []byte) []byte { return tamper(t, resp, "signature") }, want: auth.ErrPasskeyRejected},
		{name: "tampered authenticator data", body: func(resp []byte) []byte { return tamper(t, resp, "authenticatorData") }, want: auth.ErrPasskeyRejected},
		{name: "unknown user handle", body: func(resp []byte) []byte { return setField(t, resp, "userHandle", uuid.New()) }, want: auth.ErrUnknownPasskey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := *good
			a.Credentials = append([]*softauthn.Credential(nil), good.Credentials...)
			if tt.mutate != nil {
				tt.mutate(&a)
			}
			ch, err := f.svc.BeginLogin(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			resp, err := a.Get(optionsJSON(t, ch))
			if err != nil {
				t.Fatal(err)
			}
			if tt.body != nil {
				resp = tt.body(resp)
			}
			if _, err := f.svc.FinishLogin(ctx, ch.ID, resp, ua); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}

	t.Run("replayed ceremony", func(t *testing.T) {
		ch, _ := f.svc.BeginLogin(ctx, "")
		resp, _ := good.Get(optionsJSON(t, ch))
		if _, err := f.svc.FinishLogin(ctx, ch.ID, resp, ua); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.FinishLogin(ctx, ch.ID, resp, ua); !errors.Is(err, auth.ErrCeremonyExpired) {
			t.Fatalf("replay: %v", err)
		}
	})
	t.Run("expired challenge", func(t *testing.T) {
		ch, _ := f.svc.BeginLogin(ctx, "")
		resp, _ := good.Get(optionsJSON(t, ch))
		f.clock.Advance(auth.CeremonyTTL + time.Second)
		if _, err := f.svc.FinishLogin(ctx, ch.ID, resp, ua); !errors.Is(err, auth.ErrCeremonyExpired) {
			t.Fatalf("expired: %v", err)
		}
	})
	t.Run("response to another challenge", func(t *testing.T) {
		ch1, _ := f.svc.BeginLogin(ctx, "")
		ch2, _ := f.svc.BeginLogin(ctx, "")
		resp, _ := good.Get(optionsJSON(t, ch1))
		if _, err := f.svc.FinishLogin(ctx, ch2.ID, resp, ua); !errors.Is(err, auth.ErrPasskeyRejected) {
			t.Fatalf("cross-challenge: %v", err)
		}
	})
	t.Run("cloned authenticator", func(t *testing.T) {
		clone := *good
		clone.Credentials = []*softauthn.Credential{{ID: good.Credentials[0].ID, UserHandle: good.Credentials[0].UserHandle,
			RPID: good.Credentials[0].RPID, Key: good.Credentials[0].Key, SignCount: 0}}
		ch, _ := f.svc.BeginLogin(ctx, "")
		resp, _ := clone.Get(optionsJSON(t, ch))
		if _, err := f.svc.FinishLogin(ctx, ch.ID, resp, ua); !errors.Is(err, auth.ErrPasskeyRejected) {
			t.Fatalf("clone: %v", err)
		}
	})
}

func TestPasskeyManagement(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	phone := softauthn.New(origin)
	signed := f.signUp(t, phone, "alice", "")
	user := signed.User

	// The same authenticator is excluded; another one is added.
	ch, err := f.svc.BeginAddPasskey(ctx, user, "YubiKey")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := phone.Create(optionsJSON(t, ch)); !errors.Is(err, softauthn.ErrExcluded) {
		t.Fatalf("same authenticator not excluded: %v", err)
	}
	laptop := softauthn.New(origin)
	resp, _, err := laptop.Create(optionsJSON(t, ch))
	if err != nil {
		t.Fatal(err)
	}
	// Another user cannot finish this ceremony.
	other := f.signUp(t, softauthn.New(origin), "mallory", "")
	if _, err := f.svc.FinishAddPasskey(ctx, other.User, ch.ID, resp, ua); !errors.Is(err, auth.ErrCeremonyExpired) {
		t.Fatalf("foreign finish: %v", err)
	}
	ch, _ = f.svc.BeginAddPasskey(ctx, user, "YubiKey")
	resp, _, err = softauthn.New(origin).Create(optionsJSON(t, ch))
	if err != nil {
		t.Fatal(err)
	}
	pk, err := f.svc.FinishAddPasskey(ctx, user, ch.ID, resp, ua)
	if err != nil || pk.Name != "YubiKey" {
		t.Fatalf("FinishAddPasskey = %+v %v", pk, err)
	}
	if err := f.svc.RenamePasskey(ctx, user.ID, pk.ID, "", ua); !errors.Is(err, auth.ErrBadName) {
		t.Errorf("empty rename: %v", err)
	}
	if err := f.svc.RenamePasskey(ctx, other.User.ID, pk.ID, "mine now", ua); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("rename by another user: %v", err)
	}
	if err := f.svc.RemovePasskey(ctx, user.ID, pk.ID, ua); err != nil {
		t.Fatal(err)
	}
	keys, _ := f.svc.Passkeys(ctx, user.ID)
	if err := f.svc.RemovePasskey(ctx, user.ID, keys[0].ID, ua); !errors.Is(err, auth.ErrLastPasskey) {
		t.Errorf("removing last passkey: %v", err)
	}
}

func TestRecovery(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	signed := f.signUp(t, softauthn.New(origin), "alice", "")
	code := signed.RecoveryCodes[3]

	if _, err := f.svc.BeginRecovery(ctx, "alice", "0000-0000-0000"); !errors.Is(err, auth.ErrRecoveryFailed) {
		t.Fatalf("wrong code: %v", err)
	}
	if _, err := f.svc.BeginRecovery(ctx, "nobody", code); !errors.Is(err, auth.ErrRecoveryFailed) {
		t.Fatalf("wrong user: %v", err)
	}
	fresh := softauthn.New(origin)
	// People type codes in lower case and without dashes.
	typed := ""
	for _, r := range code {
		if r != '-' {
			typed += string(r | 0x20)
		}
	}
	ch, err := f.svc.BeginRecovery(ctx, "alice", typed)
	if err != nil {
		t.Fatalf("BeginRecovery: %v", err)
	}
	resp, _, err := fresh.Create(optionsJSON(t, ch))
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.svc.FinishRecovery(ctx, ch.ID, resp, ua)
	if err != nil || out.User.ID != signed.User.ID {
		t.Fatalf("FinishRecovery: %+v %v", out, err)
	}
	if _, err := f.login(t, fresh, ""); err != nil {
		t.Fatalf("login with recovered passkey: %v", err)
	}
	if _, err := f.svc.BeginRecovery(ctx, "alice", code); !errors.Is(err, auth.ErrRecoveryFailed) {
		t.Fatalf("code reused: %v", err)
	}
	if left, _ := f.svc.RecoveryCodesLeft(ctx, signed.User.ID); left != auth.RecoveryCodeCount-1 {
		t.Errorf("codes left = %d", left)
	}
	events, _ := f.svc.SecurityEvents(ctx, signed.User.ID, uuid.Nil, 20)
	var used bool
	for _, e := range events {
		used = used || e.Kind == store.EventRecoveryCodeUsed
	}
	if !used {
		t.Error("recovery code use not in security activity")
	}
}

func TestStepUpAndDelete(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	alice := softauthn.New(origin)
	a := f.signUp(t, alice, "alice", "")
	mallory := softauthn.New(origin)
	m := f.signUp(t, mallory, "mallory", "")

	// Mallory's passkey cannot confirm Alice's step-up.
	ch, _ := f.svc.BeginStepUp(ctx, a.User, auth.ActionDeleteAccount)
	if _, err := mallory.Get(optionsJSON(t, ch)); !errors.Is(err, softauthn.ErrNoCredential) {
		t.Fatalf("allow list leaks: %v", err)
	}
	// A step-up for one action does not authorise another.
	resp, _ := alice.Get(optionsJSON(t, ch))
	if err := f.svc.FinishStepUp(ctx, a.User, ch.ID, auth.ActionRecoveryCodes, resp); !errors.Is(err, auth.ErrCeremonyExpired) {
		t.Fatalf("action swap: %v", err)
	}
	// Another user's session cannot finish Alice's ceremony.
	ch, _ = f.svc.BeginStepUp(ctx, a.User, auth.ActionDeleteAccount)
	resp, _ = alice.Get(optionsJSON(t, ch))
	if err := f.svc.FinishStepUp(ctx, m.User, ch.ID, auth.ActionDeleteAccount, resp); !errors.Is(err, auth.ErrCeremonyExpired) {
		t.Fatalf("user swap: %v", err)
	}
	ch, _ = f.svc.BeginStepUp(ctx, a.User, auth.ActionRecoveryCodes)
	resp, _ = alice.Get(optionsJSON(t, ch))
	if err := f.svc.FinishStepUp(ctx, a.User, ch.ID, auth.ActionRecoveryCodes, resp); err != nil {
		t.Fatal(err)
	}
	codes, err := f.svc.RegenerateRecoveryCodes(ctx, a.User.ID, ua)
	if err != nil || len(codes) != auth.RecoveryCodeCount {
		t.Fatal(err)
	}
	if _, err := f.svc.BeginRecovery(ctx, "alice", a.RecoveryCodes[0]); !errors.Is(err, auth.ErrRecoveryFailed) {
		t.Errorf("old code survived regeneration: %v", err)
	}

	if err := f.svc.DeleteAccount(ctx, a.User.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Authenticate(ctx, a.Token); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("session survived deletion: %v", err)
	}
	if _, err := f.login(t, alice, ""); !errors.Is(err, auth.ErrUnknownPasskey) {
		t.Errorf("deleted user's passkey: %v", err)
	}
	if _, _, err := f.svc.Authenticate(ctx, m.Token); err != nil {
		t.Errorf("other user's session lost: %v", err)
	}
}

func TestInviteOnly(t *testing.T) {
	f := newFixture(t, true)
	ctx := context.Background()
	owner := f.signUp(t, softauthn.New(origin), "owner", "")
	if !owner.User.IsOwner {
		t.Fatal("first account is not the owner")
	}
	if _, err := f.svc.BeginSignup(ctx, auth.SignupRequest{Username: "bob", DisplayName: "Bob"}); !errors.Is(err, auth.ErrInviteRequired) {
		t.Fatalf("no invite: %v", err)
	}
	if _, err := f.svc.BeginSignup(ctx, auth.SignupRequest{Username: "bob", DisplayName: "Bob", Invite: "forged"}); !errors.Is(err, auth.ErrInviteInvalid) {
		t.Fatalf("forged invite: %v", err)
	}
	token, err := f.svc.CreateInvite(ctx, owner.User, ua)
	if err != nil {
		t.Fatal(err)
	}
	bob := f.signUp(t, softauthn.New(origin), "bob", token)
	if _, err := f.svc.CreateInvite(ctx, bob.User, ua); !errors.Is(err, auth.ErrNotOwner) {
		t.Fatalf("non-owner invite: %v", err)
	}
	if _, err := f.svc.BeginSignup(ctx, auth.SignupRequest{Username: "carol", DisplayName: "Carol", Invite: token}); !errors.Is(err, auth.ErrInviteInvalid) {
		t.Fatalf("invite reused: %v", err)
	}
	expiring, _ := f.svc.CreateInvite(ctx, owner.User, ua)
	f.clock.Advance(auth.InviteTTL + time.Minute)
	if _, err := f.svc.BeginSignup(ctx, auth.SignupRequest{Username: "carol", DisplayName: "Carol", Invite: expiring}); !errors.Is(err, auth.ErrInviteInvalid) {
		t.Fatalf("expired invite: %v", err)
	}
}

func TestSessions(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	a := softauthn.New(origin)
	first := f.signUp(t, a, "alice", "")
	second, _ := f.login(t, a, "")
	third, _ := f.login(t, a, "")
	if err := f.svc.RevokeSession(ctx, first.User.ID, second.Session.ID, ua); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Authenticate(ctx, second.Token); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("revoked session still valid: %v", err)
	}
	n, err := f.svc.RevokeOtherSessions(ctx, first.Session, ua)
	if err != nil || n != 1 {
		t.Fatalf("RevokeOtherSessions = %d %v", n, err)
	}
	if _, _, err := f.svc.Authenticate(ctx, third.Token); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("other session still valid: %v", err)
	}
	f.clock.Advance(auth.SessionTTL + time.Minute)
	if _, _, err := f.svc.Authenticate(ctx, first.Token); !errors.Is(err, auth.ErrNoSession) {
		t.Errorf("expired session valid: %v", err)
	}
	if err := f.svc.Logout(ctx, first.Session, ua); err != nil {
		t.Fatal(err)
	}
}
