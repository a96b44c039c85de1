package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"confidant/internal/testserver"
)

// With invite-only registration the first account becomes the owner, and
// everyone else needs an invite link from the owner, which works once.
func TestInviteOnlySignup(t *testing.T) {
	e := setup(t, testserver.Options{Env: map[string]string{"CONFIDANT_REGISTRATION": "invite"}})
	owner := e.newTab()
	owner.visit("/signup")
	if got := owner.text(`.notice`); !strings.Contains(got, "becomes the owner") {
		t.Errorf("first sign-up page says %q, want the owner notice", got)
	}
	owner.signUp(signup{Username: "olga", DisplayName: canaryDisplay})

	owner.visit("/settings/invites")
	owner.screenshot("settings-invites")
	owner.click(tid("create-invite"))
	owner.waitVisible(tid("invite-link"))
	link := eval[string](owner, `document.querySelector('[data-testid="invite-link"]').value`)
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(link, e.srv.URL+"/signup?invite=") || u.Query().Get("invite") == "" {
		t.Fatalf("invite link %q is not %s/signup?invite=…", link, e.srv.URL)
	}
	e.secret(u.Query().Get("invite"))
	owner.screenshot("settings-invites-new-link")

	// Without an invite, nobody else can sign up, and sign-in offers no sign-up.
	guest := e.newTab()
	guest.visit("/signup")
	if got := guest.text(`.notice-warn`); !strings.Contains(got, "by invitation") {
		t.Errorf("sign-up without invite says %q", got)
	}
	if guest.count(tid("signup-form")) != 0 {
		t.Error("sign-up without invite still shows the form")
	}
	guest.screenshot("signup-invite-required")
	guest.openLogin("/login")
	if guest.count(tid("to-signup")) != 0 {
		t.Error("sign-in page offers sign-up although it is invite-only")
	}

	path := u.RequestURI()
	guest.signUp(signup{Path: path, Username: "gus", DisplayName: "Guest-Canary-2d8e"})
	g, err := e.srv.Store.UserByUsername(context.Background(), "gus")
	if err != nil || g.IsOwner {
		t.Errorf("invited user: %+v, %v; want a user who is not the owner", g, err)
	}
	guest.visit("/settings/passkeys")
	if guest.count(`nav.tabs a[href="/settings/invites"]`) != 0 {
		t.Error("a guest sees the Invites tab")
	}
	guest.open("/settings/invites")
	if got := guest.text(tid("error-message")); !strings.Contains(got, "Only the owner") {
		t.Errorf("a guest opening /settings/invites sees %q", got)
	}

	// The link worked once.
	third := e.newTab()
	third.visit(path)
	if got := third.text(`.notice-warn`); !strings.Contains(got, "already used") {
		t.Errorf("a used invite link says %q", got)
	}
	third.screenshot("signup-invite-used")
	owner.visit("/settings/invites")
	if got := owner.texts(`.list-item strong`); len(got) != 1 || got[0] != "Used" {
		t.Errorf("owner's invites list says %q, want one Used", got)
	}
}
