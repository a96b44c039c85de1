package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"confidant/internal/testserver"
)

// passkeyRow selects the row of the passkey list that shows name.
func (tb *tab) passkeyRow(name string) string {
	tb.t.Helper()
	i := slices.Index(tb.texts(tid("passkey-name")), name)
	if i < 0 {
		tb.fail("no passkey named %q in %q", name, tb.texts(tid("passkey-name")))
	}
	return fmt.Sprintf(`%s > li:nth-child(%d)`, tid("passkey-list"), i+1)
}

// expectNotice waits until the page shows a success notice with this text
// (the form posts navigate, so the old page may still be up for a moment).
func (tb *tab) expectNotice(want string) {
	tb.t.Helper()
	w, _ := json.Marshal(want)
	tb.waitFor("notice "+string(w), fmt.Sprintf(
		`document.readyState === 'complete' && Array.from(document.querySelectorAll('.notice-ok'), (el) => el.textContent.trim()).includes(%s)`, w))
}

// A person adds a passkey from a second authenticator, renames it, removes
// the first one, and signs in with what is left; the last passkey cannot
// be removed and the removed one no longer signs in.
func TestManagePasskeys(t *testing.T) {
	e := setup(t, testserver.Options{})
	tb := e.newTab()
	acct := tb.signUp(signup{Username: "kim", DisplayName: canaryDisplay})
	const renamed = "Renamed-Key-4c1d"
	e.secret(canaryKeyName, renamed)

	tb.visit("/settings/passkeys")
	tb.screenshot("settings-passkeys")
	first := tb.texts(tid("passkey-name"))
	if len(first) != 1 || tb.count(tid("passkey-remove")) != 0 || tb.count(tid("passkey-item")+` button[disabled]`) != 1 {
		t.Fatalf("with one passkey %q the Remove button must be disabled", first)
	}

	// The same authenticator already holds a passkey for this account.
	tb.fill(tid("add-passkey-name"), canaryKeyName)
	tb.click(tid("add-passkey"))
	if msg := tb.formError("add-passkey-form"); !strings.Contains(msg, "already holds a passkey") {
		t.Errorf("adding from the same device shows %q", msg)
	}

	// A second device: the first authenticator goes away, a new one comes.
	oldKey := tb.credentials(tb.auth)[0]
	tb.removeAuthenticator(tb.auth)
	tb.auth = tb.addAuthenticator()
	tb.fill(tid("add-passkey-name"), canaryKeyName)
	tb.click(tid("add-passkey"))
	tb.waitPath("/settings/passkeys")
	tb.expectNotice("Passkey added. You can now sign in with it.")
	if names := tb.texts(tid("passkey-name")); len(names) != 2 || !slices.Contains(names, canaryKeyName) {
		t.Fatalf("passkeys after adding: %q", names)
	}

	tb.click(tb.passkeyRow(canaryKeyName) + ` button[data-open-dialog^="rename-"]`)
	tb.fill(`dialog[open] `+tid("rename-input"), renamed)
	tb.screenshot("settings-passkeys-rename-dialog")
	tb.click(`dialog[open] ` + tid("rename-save"))
	tb.expectNotice("Passkey renamed.")
	if names := tb.texts(tid("passkey-name")); !slices.Contains(names, renamed) || slices.Contains(names, canaryKeyName) {
		t.Fatalf("passkeys after renaming: %q", names)
	}

	tb.click(tb.passkeyRow(first[0]) + " " + tid("passkey-remove"))
	tb.waitVisible(`dialog[open] ` + tid("passkey-remove-confirm"))
	tb.screenshot("settings-passkeys-remove-dialog")
	tb.click(`dialog[open] ` + tid("passkey-remove-confirm"))
	tb.expectNotice("Passkey removed.")
	if names := tb.texts(tid("passkey-name")); !slices.Equal(names, []string{renamed}) {
		t.Fatalf("passkeys after removing: %q", names)
	}
	if tb.count(tid("passkey-remove")) != 0 {
		t.Error("the last passkey can be removed")
	}

	// The renamed passkey signs in; the removed one does not.
	tb.signOut()
	tb.signInWithPasskey()
	tb.expectHome(acct.DisplayName)
	tb.signOut()
	tb.removeAuthenticator(tb.auth)
	tb.auth = tb.addAuthenticator()
	tb.importCredential(oldKey)
	tb.signInWithPasskey()
	if msg := tb.formError("login-passkey"); !strings.Contains(msg, "not registered here") {
		t.Errorf("signing in with a removed passkey shows %q", msg)
	}
}

// Signed in on two devices, a person signs the other one out from the
// sessions page; that device is sent to the sign-in page on its next
// click. "Sign out everywhere else" does the same for all others.
func TestRevokeOtherSession(t *testing.T) {
	e := setup(t, testserver.Options{})
	a := e.newTab()
	acct := a.signUp(signup{Username: "sam", DisplayName: canaryDisplay})

	b := e.newTab() // another device with the same (synced) passkey
	b.importCredential(a.credentials(a.auth)[0])
	signInB := func() {
		b.openLogin("/login")
		b.signInWithPasskey()
		b.expectHome(acct.DisplayName)
	}
	signInB()

	a.visit("/settings/sessions")
	a.screenshot("settings-sessions")
	if n := a.count(tid("session-item")); n != 2 {
		t.Fatalf("sessions page lists %d sessions, want 2", n)
	}
	if n := a.count(tid("session-revoke")); n != 1 {
		t.Fatalf("%d sessions can be signed out, want 1 (not this browser)", n)
	}
	a.click(tid("session-revoke"))
	a.expectNotice("That session is signed out.")
	if n := a.count(tid("session-item")); n != 1 {
		t.Errorf("after revoking, %d sessions are listed", n)
	}
	b.expectSignedOut("/settings/sessions")
	if c := b.sessionCookie(); c != "" {
		t.Error("the revoked session's cookie was not cleared")
	}

	signInB()
	a.visit("/settings/sessions")
	a.click(tid("revoke-others"))
	a.click(`dialog[open] ` + tid("revoke-others-confirm"))
	a.expectNotice("Every other session is signed out.")
	b.expectSignedOut("/")
	a.visit("/settings/activity")
	if events := a.texts(tid("activity-item") + " strong"); !slices.Contains(events, "A session was signed out") ||
		!slices.Contains(events, "All other sessions were signed out") {
		t.Errorf("security activity %q does not list the sign-outs", events)
	}
}
