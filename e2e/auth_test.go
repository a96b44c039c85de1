package e2e

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"confidant/internal/testserver"
	"confidant/store"
)

// A new visitor creates an account with a passkey, is shown ten recovery
// codes once, and lands on a home page that greets them by name.
func TestSignUp(t *testing.T) {
	e := setup(t, testserver.Options{})
	tb := e.newTab()
	tb.visit("/login")
	tb.screenshot("login")

	acct := tb.signUp(signup{Username: "ada", DisplayName: canaryDisplay, Shots: true})

	u, err := e.srv.Store.UserByUsername(context.Background(), acct.Username)
	if err != nil {
		t.Fatalf("the new user is not in the database: %v", err)
	}
	if u.DisplayName != canaryDisplay {
		t.Errorf("stored display name %q, want %q", u.DisplayName, canaryDisplay)
	}
	// A signed-in person who opens /login or /signup goes home.
	for _, p := range []string{"/login", "/signup"} {
		tb.open(p)
		tb.expectHome(canaryDisplay)
	}
	tb.click(`details.menu summary`)
	tb.waitVisible(tid("logout"))
	tb.screenshot("home-account-menu")
}

// After signing out, a person signs back in either without typing anything
// (discoverable passkey) or by typing their username first.
func TestSignInAfterSignOut(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		signIn                func(tb *tab, a account)
		byAutofill, byRequest int // which passkey request signed in
	}{
		{"passkey button, no username", func(tb *tab, _ account) { tb.signInWithPasskey() }, 0, 1},
		{"username first", func(tb *tab, a account) { tb.signInWithUsername(a.Username) }, 0, 1},
		// The page's background request alone signs in, as when a person
		// picks the passkey from the browser's autofill.
		{"passkey autofill", func(tb *tab, _ account) { tb.open("/login") }, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, testserver.Options{})
			tb := e.newTab()
			acct := tb.signUp(signup{Username: "grace", DisplayName: canaryDisplay})
			tb.signOut()
			tb.expectSignedOut("/settings/passkeys")

			tc.signIn(tb, acct)
			tb.expectHome(acct.DisplayName)
			if a, r := tb.credentialsFrom(); a != tc.byAutofill || r != tc.byRequest {
				t.Errorf("credentials came from %d autofill and %d explicit requests, want %d and %d",
					a, r, tc.byAutofill, tc.byRequest)
			}
		})
	}
}

// A person who lost every passkey uses a recovery code from sign-up on a
// new device, gets a new passkey and is signed in; the code works once and
// its use is listed in their security activity.
func TestRecoverWithCode(t *testing.T) {
	e := setup(t, testserver.Options{})
	old := e.newTab()
	acct := old.signUp(signup{Username: "lin", DisplayName: canaryDisplay})
	old.signOut()

	tb := e.newTab() // a new device: its authenticator holds no passkey
	tb.visit("/recover")
	tb.screenshot("recover")
	tb.fill(tid("recover-username"), acct.Username)
	tb.fill(tid("recover-code"), acct.Codes[3])
	tb.click(tid("recover-button"))
	tb.expectHome(acct.DisplayName)
	if n := len(tb.credentials(tb.auth)); n != 1 {
		t.Fatalf("the new device holds %d passkeys after recovery, want 1", n)
	}

	tb.visit("/settings/activity")
	tb.screenshot("settings-activity")
	if events := tb.texts(tid("activity-item") + " strong"); !slices.Contains(events, "Recovery code used") {
		t.Errorf("security activity %q does not list the recovery code", events)
	}
	tb.visit("/settings/recovery")
	tb.screenshot("settings-recovery")
	if got := tb.text(tid("codes-left")); got != "You have 9 unused recovery codes." {
		t.Errorf("recovery page says %q, want 9 codes left", got)
	}
	if got := tb.count(tid("passkey-item")); got != 0 {
		t.Errorf("recovery page lists passkeys: %d", got)
	}

	// The same code does not work twice.
	tb.signOut()
	tb.visit("/recover")
	tb.fill(tid("recover-username"), acct.Username)
	tb.fill(tid("recover-code"), acct.Codes[3])
	tb.click(tid("recover-button"))
	if msg := tb.formError("recover-form"); !strings.Contains(msg, "do not match an unused code") {
		t.Errorf("reusing a code shows %q", msg)
	}
}

// Deleting the account needs the typed username and a passkey; afterwards
// the user is gone from the database and the old passkey cannot sign in.
func TestDeleteAccount(t *testing.T) {
	e := setup(t, testserver.Options{})
	tb := e.newTab()
	acct := tb.signUp(signup{Username: "zed", DisplayName: canaryDisplay})

	tb.visit("/settings/account")
	tb.screenshot("settings-account")
	tb.fill(tid("delete-confirm"), "not-zed")
	tb.click(tid("delete-button"))
	if msg := tb.formError("delete-form"); !strings.Contains(msg, "Type your username") {
		t.Errorf("a wrong confirmation shows %q", msg)
	}

	tb.fill(tid("delete-confirm"), acct.Username)
	tb.click(tid("delete-button"))
	tb.waitPath("/login")
	if got := tb.path(); got != "/login?deleted=1" {
		t.Errorf("after deletion the tab shows %s, want /login?deleted=1", got)
	}
	if got := tb.text(tid("login-notice")); !strings.Contains(got, "have been deleted") {
		t.Errorf("login notice says %q", got)
	}
	tb.screenshot("login-account-deleted")
	if _, err := e.srv.Store.UserByUsername(context.Background(), acct.Username); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserByUsername after deletion: %v, want store.ErrNotFound", err)
	}
	if c := tb.sessionCookie(); c != "" {
		t.Error("the session cookie survived account deletion")
	}

	tb.openLogin("/login?deleted=1")
	tb.signInWithPasskey() // the authenticator still holds the old passkey
	if msg := tb.formError("login-passkey"); !strings.Contains(msg, "not registered here") {
		t.Errorf("signing in with the deleted account's passkey shows %q", msg)
	}
	tb.screenshot("login-deleted-passkey-error")
	if got := tb.path(); got != "/login?deleted=1" {
		t.Errorf("a failed sign-in left the sign-in page for %s", got)
	}
}
