package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"confidant/internal/testdb"
	"confidant/store"
)

func newStore(t *testing.T) *store.Store {
	t.Helper()
	t.Parallel()
	return testdb.NewStore(t)
}

func mustUser(t *testing.T, s *store.Store, username string) store.User {
	t.Helper()
	u := store.User{ID: uuid.New(), Username: username, DisplayName: "Name of " + username, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func mustPasskey(t *testing.T, s *store.Store, userID uuid.UUID, credID string) store.Passkey {
	t.Helper()
	p := store.Passkey{ID: uuid.New(), UserID: userID, Name: "key " + credID, CreatedAt: time.Now(),
		Credential: webauthn.Credential{ID: []byte(credID), PublicKey: []byte("pk-" + credID)}}
	if err := s.AddPasskey(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUsers(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	u := mustUser(t, s, "Alice")

	got, err := s.UserByUsername(ctx, "alice")
	if err != nil || got.ID != u.ID || got.DisplayName != u.DisplayName {
		t.Fatalf("UserByUsername = %+v, %v", got, err)
	}
	if err := s.CreateUser(ctx, store.User{ID: uuid.New(), Username: "ALICE", DisplayName: "x", CreatedAt: time.Now()}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate username: err = %v, want ErrConflict", err)
	}
	if _, err := s.UserByID(ctx, uuid.New()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown id: err = %v", err)
	}
	taken, err := s.UsernameTaken(ctx, "aLiCe")
	if err != nil || !taken {
		t.Fatalf("UsernameTaken = %v, %v", taken, err)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestPasskeys(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	first := mustPasskey(t, s, alice.ID, "cred-1")
	second := mustPasskey(t, s, alice.ID, "cred-2")
	bobs := mustPasskey(t, s, bob.ID, "cred-3")

	dup := store.Passkey{ID: uuid.New(), UserID: bob.ID, Name: "dup", CreatedAt: time.Now(), Credential: webauthn.Credential{ID: []byte("cred-1")}}
	if err := s.AddPasskey(ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate credential id: %v", err)
	}

	tests := []struct {
		name    string
		user    uuid.UUID
		passkey uuid.UUID
		wantErr error
	}{
		{"other user's passkey", alice.ID, bobs.ID, store.ErrNotFound},
		{"own passkey", alice.ID, first.ID, nil},
		{"last passkey", alice.ID, second.ID, store.ErrLastPasskey},
		{"bob's only passkey", bob.ID, bobs.ID, store.ErrLastPasskey},
	}
	for _, tt := range tests {
		if err := s.DeletePasskey(ctx, tt.user, tt.passkey); !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
	if err := s.RenamePasskey(ctx, bob.ID, second.ID, "stolen"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rename of another user's passkey: %v", err)
	}
	if err := s.RenamePasskey(ctx, alice.ID, second.ID, "Laptop"); err != nil {
		t.Fatal(err)
	}
	cred := second.Credential
	cred.Authenticator.SignCount = 7
	cred.Flags.BackupState = true
	now := time.Now()
	if err := s.RecordPasskeyUse(ctx, second.ID, cred, now); err != nil {
		t.Fatal(err)
	}
	got, err := s.PasskeyByCredentialID(ctx, []byte("cred-2"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Laptop" || got.Credential.Authenticator.SignCount != 7 || !got.Credential.Flags.BackupState || got.LastUsedAt == nil {
		t.Errorf("after use: %+v", got)
	}
	list, err := s.PasskeysByUser(ctx, alice.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("PasskeysByUser = %d, %v", len(list), err)
	}
}

func TestSessions(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	now := time.Now()
	mk := func(user uuid.UUID, token string, expires time.Time) store.Session {
		sess := store.Session{ID: uuid.New(), UserID: user, TokenHash: []byte(token), UserAgent: "test", CreatedAt: now.Add(-time.Hour), ExpiresAt: expires}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		return sess
	}
	a1 := mk(alice.ID, "a1", now.Add(time.Hour))
	a2 := mk(alice.ID, "a2", now.Add(time.Hour))
	mk(alice.ID, "expired", now.Add(-time.Minute))
	b1 := mk(bob.ID, "b1", now.Add(time.Hour))

	sess, u, err := s.SessionByTokenHash(ctx, []byte("a1"), now, time.Minute)
	if err != nil || sess.ID != a1.ID || u.ID != alice.ID {
		t.Fatalf("SessionByTokenHash = %v %v %v", sess.ID, u.ID, err)
	}
	if !sess.LastSeenAt.Equal(now) {
		t.Errorf("last seen not touched: %v", sess.LastSeenAt)
	}
	if _, _, err := s.SessionByTokenHash(ctx, []byte("expired"), now, time.Minute); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session: %v", err)
	}
	list, err := s.SessionsByUser(ctx, alice.ID, now)
	if err != nil || len(list) != 2 {
		t.Fatalf("SessionsByUser = %d %v", len(list), err)
	}
	if err := s.DeleteSession(ctx, alice.ID, b1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoking another user's session: %v", err)
	}
	n, err := s.DeleteOtherSessions(ctx, alice.ID, a2.ID)
	if err != nil || n != 2 {
		t.Fatalf("DeleteOtherSessions = %d %v", n, err)
	}
	if _, _, err := s.SessionByTokenHash(ctx, []byte("b1"), now, time.Minute); err != nil {
		t.Errorf("bob's session went too: %v", err)
	}
}

func TestRecoveryCodes(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")
	if err := s.ReplaceRecoveryCodes(ctx, alice.ID, [][]byte{[]byte("h1"), []byte("h2")}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UnusedRecoveryCode(ctx, bob.ID, []byte("h1")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("code used for another user: %v", err)
	}
	id, err := s.UnusedRecoveryCode(ctx, alice.ID, []byte("h1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UseRecoveryCode(ctx, alice.ID, id, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.UseRecoveryCode(ctx, alice.ID, id, time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("code used twice: %v", err)
	}
	if n, _ := s.RecoveryCodesLeft(ctx, alice.ID); n != 1 {
		t.Errorf("left = %d, want 1", n)
	}
	if err := s.ReplaceRecoveryCodes(ctx, alice.ID, [][]byte{[]byte("h3")}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UnusedRecoveryCode(ctx, alice.ID, []byte("h2")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old code survived regeneration: %v", err)
	}
}

func TestInvites(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	owner := mustUser(t, s, "owner")
	now := time.Now()
	inv := store.Invite{ID: uuid.New(), TokenHash: []byte("tok"), CreatedBy: owner.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateInvite(ctx, inv); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ValidInvite(ctx, []byte("tok"), now.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired invite valid: %v", err)
	}
	newbie := mustUser(t, s, "newbie")
	if err := s.UseInvite(ctx, inv.ID, newbie.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := s.UseInvite(ctx, inv.ID, newbie.ID, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("invite used twice: %v", err)
	}
	list, err := s.InvitesBy(ctx, owner.ID)
	if err != nil || len(list) != 1 || list[0].UsedAt == nil {
		t.Fatalf("InvitesBy = %+v %v", list, err)
	}
}

func TestCeremonies(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.Now()
	c := store.Ceremony{ID: uuid.New(), Kind: "login", SessionData: webauthn.SessionData{Challenge: "abc"}, ExpiresAt: now.Add(time.Minute)}
	if err := s.SaveCeremony(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TakeCeremony(ctx, c.ID, "signup", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("wrong kind: %v", err)
	}
	got, err := s.TakeCeremony(ctx, c.ID, "login", now)
	if err != nil || got.SessionData.Challenge != "abc" {
		t.Fatalf("TakeCeremony = %+v %v", got, err)
	}
	if _, err := s.TakeCeremony(ctx, c.ID, "login", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("replayed ceremony: %v", err)
	}
	old := store.Ceremony{ID: uuid.New(), Kind: "login", ExpiresAt: now.Add(-time.Second)}
	if err := s.SaveCeremony(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TakeCeremony(ctx, old.ID, "login", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired ceremony: %v", err)
	}
}

func TestSecurityEvents(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	for i, kind := range []string{store.EventSignUp, store.EventSignIn, store.EventPasskeyAdded} {
		if err := s.AddSecurityEvent(ctx, store.SecurityEvent{UserID: alice.ID, Kind: kind, CreatedAt: time.Now().Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.SecurityEvents(ctx, alice.ID, uuid.Nil, 2)
	if err != nil || len(page) != 2 || page[0].Kind != store.EventPasskeyAdded {
		t.Fatalf("first page = %+v %v", page, err)
	}
	rest, err := s.SecurityEvents(ctx, alice.ID, page[1].ID, 2)
	if err != nil || len(rest) != 1 || rest[0].Kind != store.EventSignUp {
		t.Fatalf("second page = %+v %v", rest, err)
	}
}
