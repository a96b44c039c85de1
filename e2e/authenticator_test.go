// Virtual authenticators, and the background passkey request of the
// sign-in page.

package e2e

import (
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// addAuthenticator adds another virtual authenticator to the tab.
func (tb *tab) addAuthenticator() webauthn.AuthenticatorID {
	tb.t.Helper()
	res, err := chromedp.Call(tb.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Ctap2version:                webauthn.Ctap2versionCtap21,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true, // the zero value makes create() hang
		},
	})
	if err != nil {
		tb.t.Fatalf("add virtual authenticator: %v", err)
	}
	return res.AuthenticatorID
}

// removeAuthenticator takes an authenticator and its passkeys away.
func (tb *tab) removeAuthenticator(id webauthn.AuthenticatorID) {
	tb.t.Helper()
	if _, err := chromedp.Call(tb.ctx, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: id}); err != nil {
		tb.t.Fatalf("remove virtual authenticator: %v", err)
	}
}

// credentials lists the passkeys an authenticator holds.
func (tb *tab) credentials(id webauthn.AuthenticatorID) []*webauthn.Credential {
	tb.t.Helper()
	res, err := chromedp.Call(tb.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		tb.t.Fatalf("get credentials: %v", err)
	}
	return res.Credentials
}

// importCredential copies a passkey into this tab's authenticator, like a
// passkey synced to a second device.
func (tb *tab) importCredential(c *webauthn.Credential) {
	tb.t.Helper()
	p := addCredentialParams{AuthenticatorID: tb.auth, Credential: importedCredential{
		CredentialID: c.CredentialID, IsResidentCredential: c.IsResidentCredential, RpID: c.RpID,
		PrivateKey: c.PrivateKey, UserHandle: c.UserHandle, SignCount: c.SignCount,
	}}
	if _, err := chromedp.Call(tb.ctx, addCredential, p); err != nil {
		tb.t.Fatalf("add credential: %v", err)
	}
}

// addCredential is WebAuthn.addCredential with only the fields a passkey
// needs: cdproto's Credential always sends generateCmtgKeyOnNextOperation,
// which chromium 156 refuses ("CMTG is not supported by this authenticator").
var addCredential = cdp.Command[addCredentialParams, cdp.Empty]{Method: webauthn.CommandAddCredential}

type addCredentialParams struct {
	AuthenticatorID webauthn.AuthenticatorID `json:"authenticatorId"`
	Credential      importedCredential       `json:"credential"`
}

type importedCredential struct {
	CredentialID         []byte  `json:"credentialId"`
	IsResidentCredential bool    `json:"isResidentCredential"`
	RpID                 string  `json:"rpId"`
	PrivateKey           []byte  `json:"privateKey"`
	UserHandle           []byte  `json:"userHandle,omitempty"`
	SignCount            float64 `json:"signCount"`
}

// countGets watches navigator.credentials.get without changing it: it
// counts background (conditional) and modal requests in this document, and
// which kind produced a credential in this tab (sessionStorage survives the
// navigation that follows a sign-in).
const countGets = `(() => { try {
	const c = navigator.credentials, get = c.get.bind(c);
	window.__e2eGets = {conditional: 0, modal: 0};
	const bump = (k) => sessionStorage.setItem(k, String(Number(sessionStorage.getItem(k) || 0) + 1));
	c.get = (opts) => {
		const kind = opts && opts.mediation === 'conditional' ? 'conditional' : 'modal';
		window.__e2eGets[kind]++;
		const p = get(opts);
		p.then((cred) => { if (cred) bump('e2e.got.' + kind); }, () => {});
		return p;
	};
} catch (_) {} })();`

// credentialsFrom returns how many passkey requests of each kind gave the
// page a credential in this tab so far.
func (tb *tab) credentialsFrom() (conditional, modal int) {
	tb.t.Helper()
	n := eval[[]int](tb, `['conditional', 'modal'].map((k) => Number(sessionStorage.getItem('e2e.got.' + k) || 0))`)
	return n[0], n[1]
}

// presence turns the authenticator's automatic user-presence answer on or
// off. Off, a request that reaches it waits for good (until aborted).
func (tb *tab) presence(on bool) {
	tb.t.Helper()
	_, err := chromedp.Call(tb.ctx, webauthn.SetAutomaticPresenceSimulation,
		webauthn.SetAutomaticPresenceSimulationParams{AuthenticatorID: tb.auth, Enabled: on})
	if err != nil {
		tb.t.Fatalf("set presence simulation: %v", err)
	}
}

// holdAutofill parks the sign-in page's background (conditional) passkey
// request. A virtual authenticator answers conditional requests at once, as
// if the person had picked the passkey from autofill, which would sign in
// before any click. The tab arrives here with presence off; once the request
// reached the authenticator it waits for presence forever, and presence goes
// back on for the requests the test makes next.
func (tb *tab) holdAutofill() {
	tb.t.Helper()
	tb.waitFor("the background passkey request", `window.__e2eGets && window.__e2eGets.conditional > 0`)
	// No event says the authenticator got the request; it takes a few ms,
	// and the margin is wide for a busy 2-core machine.
	time.Sleep(500 * time.Millisecond)
	tb.presence(true)
}

// openLogin opens a sign-in page with its background request parked.
func (tb *tab) openLogin(path string) {
	tb.t.Helper()
	tb.presence(false)
	tb.visit(path)
	tb.holdAutofill()
}
