package web

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"confidant/chat"
)

// userZone is the time zone the assistant reads a person's "today" in:
// their browser's, as the request that started the answer carried it
// (browserZone), else the server's own.
func userZone(ctx context.Context, _ uuid.UUID) *time.Location {
	if loc, ok := chat.ZoneOf(ctx); ok {
		return loc
	}
	return time.Local
}

// zoneCookie is where app.js puts the browser's IANA time zone.
const zoneCookie = "confidant_tz"

// browserZone puts the browser's time zone, from its cookie, in the
// request's context; a missing or unknown zone is left out.
func browserZone(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ck, err := c.Cookie(zoneCookie); err == nil && validZoneName(ck.Value) {
			if loc, err := time.LoadLocation(ck.Value); err == nil {
				r := c.Request()
				c.SetRequest(r.WithContext(chat.WithZone(r.Context(), loc)))
			}
		}
		return next(c)
	}
}

// validZoneName reports whether s looks like an IANA zone name ("Area/City"),
// so nothing else reaches time.LoadLocation.
func validZoneName(s string) bool {
	if s == "" || len(s) > 64 || s == "Local" || strings.Contains(s, "..") {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/_+-", c)) {
			return false
		}
	}
	return true
}
