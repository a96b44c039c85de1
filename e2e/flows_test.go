package e2e

import (
	"regexp"
	"testing"
)

// tid selects an element by its data-testid.
func tid(id string) string { return `[data-testid="` + id + `"]` }

// Canaries: distinctive strings that must never show up in server logs.
const (
	canaryDisplay = "Canary-Display-7f3a"
	canaryKeyName = "Canary-Key-9b2e"
)

var codeFormat = regexp.MustCompile(`^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$`)

// account is what a person knows after signing up.
type account struct {
	Username    string
	DisplayName string
	Codes       []string // recovery codes, as shown once
}

// signup describes one sign-up through the page.
type signup struct {
	Path        string // "/signup" unless set (an invite link's path and query)
	Username    string
	DisplayName string
	Shots       bool   // take screenshots of the form, the codes and home
	ShotPrefix  string // prefix of the screenshot names
}

// signUp creates an account with a new passkey, reads the recovery codes
// off the page, continues and checks the welcome on the home page.
func (tb *tab) signUp(s signup) account {
	tb.t.Helper()
	if s.Path == "" {
		s.Path = "/signup"
	}
	tb.visit(s.Path)
	if s.Shots {
		tb.screenshot(s.ShotPrefix + "signup")
	}
	tb.fill(tid("signup-username"), s.Username)
	tb.fill(tid("signup-display-name"), s.DisplayName)
	tb.click(tid("signup-button"))
	tb.waitVisible(tid("recovery-codes"))
	codes := tb.texts(`[data-recovery-codes] ol[data-codes] li code`)
	checkCodes(tb.t, codes)
	tb.e.secret(codes...)
	tb.e.secret(s.DisplayName, tb.sessionCookie())
	if tb.count(tid("signup-form")+":not([hidden])") != 0 {
		tb.t.Error("the sign-up form is still shown next to the recovery codes")
	}
	if s.Shots {
		tb.screenshot(s.ShotPrefix + "signup-recovery-codes")
	}
	tb.click(tid("codes-continue"))
	tb.expectHome(s.DisplayName)
	if s.Shots {
		tb.screenshot(s.ShotPrefix + "home")
	}
	return account{Username: s.Username, DisplayName: s.DisplayName, Codes: codes}
}

// checkCodes wants ten distinct codes like 7KQ2-M9XD-4TRA.
func checkCodes(t *testing.T, codes []string) {
	t.Helper()
	if len(codes) != 10 {
		t.Fatalf("got %d recovery codes, want 10: %q", len(codes), codes)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !codeFormat.MatchString(c) || seen[c] {
			t.Fatalf("recovery code %q is malformed or repeated in %q", c, codes)
		}
		seen[c] = true
	}
}

// expectHome waits for the home page and checks whom it greets.
func (tb *tab) expectHome(displayName string) {
	tb.t.Helper()
	tb.waitPath("/")
	if got, want := tb.text(tid("welcome")), "Hello, "+displayName; got != want {
		tb.fail("welcome says %q, want %q", got, want)
	}
	tb.e.secret(tb.sessionCookie())
}

// signOut uses the avatar menu and lands on the sign-in page, with its
// background passkey request parked (see holdAutofill).
func (tb *tab) signOut() {
	tb.t.Helper()
	tb.presence(false)
	tb.click(`details.menu summary`)
	tb.click(tid("logout"))
	tb.waitPath("/login")
	tb.holdAutofill()
	if c := tb.sessionCookie(); c != "" {
		tb.t.Errorf("session cookie still set after signing out")
	}
}

// expectSignedOut opens a signed-in page and checks that it sends the tab
// to the sign-in page (whose background request gets parked).
func (tb *tab) expectSignedOut(path string) {
	tb.t.Helper()
	tb.presence(false)
	tb.open(path)
	tb.waitPath("/login")
	tb.holdAutofill()
}

// signInWithPasskey clicks the passkey button on /login: no username typed,
// the authenticator offers its discoverable credential.
func (tb *tab) signInWithPasskey() {
	tb.t.Helper()
	tb.waitPath("/login")
	tb.click(tid("login-button"))
}

// signInWithUsername types the username first, then uses the passkey.
func (tb *tab) signInWithUsername(username string) {
	tb.t.Helper()
	tb.waitPath("/login")
	tb.fill(tid("login-username-input"), username)
	tb.click(tid("login-username") + ` button[type=submit]`)
}

// formError waits for the error a ceremony form shows and returns it.
func (tb *tab) formError(formTestID string) string {
	tb.t.Helper()
	sel := tid(formTestID) + ` [data-error]`
	tb.waitVisible(sel)
	return tb.text(sel)
}
