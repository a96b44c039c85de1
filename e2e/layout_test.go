package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"confidant/internal/testserver"
)

// overflow is what the page says about horizontal scrolling.
type overflow struct {
	Width       int      `json:"width"`
	ScrollWidth int      `json:"scrollWidth"`
	Wide        []string `json:"wide"` // elements sticking out, for the report
}

const measureOverflow = `(() => {
	const w = document.documentElement.clientWidth, sw = document.scrollingElement.scrollWidth;
	const wide = sw <= w ? [] : Array.from(document.querySelectorAll('body *'))
		.filter((el) => el.getBoundingClientRect().right > w + 0.5)
		.slice(0, 6)
		.map((el) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().replace(/\s+/g, '.') : ''));
	return {width: w, scrollWidth: sw, wide};
})()`

// expectNoSideScroll checks that the page fits the viewport's width.
func (tb *tab) expectNoSideScroll(page string) {
	tb.t.Helper()
	o := eval[overflow](tb, measureOverflow)
	if o.ScrollWidth > o.Width {
		tb.t.Errorf("%s scrolls sideways at %dpx: scrollWidth %d; wide elements: %s",
			page, o.Width, o.ScrollWidth, strings.Join(o.Wide, ", "))
	}
}

// At phone width (390×844) the sign-up, sign-in, home and every settings
// page fit without horizontal scrolling.
func TestPhoneWidth(t *testing.T) {
	e := setup(t, testserver.Options{})
	tb := e.newTab()
	tb.do("emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	tb.openLogin("/login")
	if w := eval[int](tb, `innerWidth`); w != 390 {
		t.Fatalf("viewport is %dpx wide, want 390", w)
	}
	tb.expectNoSideScroll("/login")
	tb.screenshot("phone-login")
	tb.visit("/signup")
	tb.expectNoSideScroll("/signup")
	tb.signUp(signup{Username: "pia", DisplayName: canaryDisplay, Shots: true, ShotPrefix: "phone-"})
	tb.expectNoSideScroll("/ (home)")

	tb.click(`[data-sidebar-toggle]`)
	tb.waitFor("the sidebar to slide in", `document.querySelector('#sidebar').classList.contains('open') &&
		document.querySelector('#sidebar').getBoundingClientRect().left >= 0`)
	tb.screenshot("phone-home-sidebar-open")

	for _, p := range []string{"passkeys", "sessions", "recovery", "activity", "account"} {
		tb.visit("/settings/" + p)
		tb.expectNoSideScroll("/settings/" + p)
		tb.screenshot("phone-settings-" + p)
	}
}

// Signed-out pages, including the error page for an unknown address, show
// their heading and the right status.
func TestSignedOutPages(t *testing.T) {
	e := setup(t, testserver.Options{})
	tb := e.newTab()
	for _, p := range []struct {
		path, shot, heading string
		status              int64
	}{
		{"/no-such-page", "error-404", "Page not found", 404},
		{"/attestation", "attestation", "Verification", 200},
		{"/recover", "", "Recover your account", 200},
		{"/signup", "", "Create your account", 200},
	} {
		res, err := chromedp.Run(tb.ctx, chromedp.NavigateResponse(e.srv.URL+p.path))
		if err != nil {
			tb.fail("open %s: %v", p.path, err)
		}
		if res.Status != p.status {
			t.Errorf("%s answered %d, want %d", p.path, res.Status, p.status)
		}
		if got := tb.text("h1"); got != p.heading {
			t.Errorf("%s shows heading %q, want %q", p.path, got, p.heading)
		}
		if p.shot != "" {
			tb.screenshot(p.shot)
		}
	}
	if got := tb.count(tid("welcome")); got != 0 {
		t.Error("a signed-out page greets someone")
	}
}

// The pages follow the system's dark or light preference.
func TestColorScheme(t *testing.T) {
	e := setup(t, testserver.Options{})
	tb := e.newTab()
	tb.signUp(signup{Username: "dora", DisplayName: canaryDisplay})
	background := map[string]string{}
	for _, scheme := range []string{"light", "dark"} {
		tb.do("prefer "+scheme, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
			return err
		}))
		tb.visit("/settings/passkeys")
		background[scheme] = eval[string](tb, `getComputedStyle(document.body).backgroundColor`)
		tb.screenshot(scheme + "-settings-passkeys")
		tb.visit("/")
		tb.screenshot(scheme + "-home")
	}
	if background["light"] == background["dark"] {
		t.Errorf("the page background is %s in both light and dark mode", background["light"])
	}
	tb.signOut()
	tb.screenshot("dark-login")
}
