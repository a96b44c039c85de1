// Package views holds Confidant's templ components: the layouts and pages a
// person sees. Views only render what handlers give them; they never touch
// the store.
package views

import (
	"strconv"
	"time"
)

// Page is what every full page needs from the request.
type Page struct {
	Title   string
	Nonce   string // CSP nonce for this response
	CSRF    string // token for forms and fetch
	User    *User  // nil when signed out
	Asset   func(name string) string
	Nav     string // active settings tab
	Shield  Shield
	Sidebar *SidebarData // conversations beside signed-in pages
}

// User is the signed-in person as the header shows them.
type User struct {
	Username    string
	DisplayName string
	IsOwner     bool
}

// Shield is the verification badge in the header.
type Shield struct {
	State string // green | amber | red
	Label string
	Title string
}

// Initial is the first letter of the display name, for the avatar.
func (u *User) Initial() string {
	for _, r := range u.DisplayName {
		return string(r)
	}
	return "?"
}

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// humanTime is the server-side rendering of a timestamp; app.js replaces
// it with the browser's local time.
func humanTime(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
