package chat

import (
	"context"
	"time"
)

type zoneKey struct{}

// WithZone returns ctx carrying the person's time zone (their browser's).
// An answer started under it reads "today" and "tomorrow" in that zone.
func WithZone(ctx context.Context, loc *time.Location) context.Context {
	return context.WithValue(ctx, zoneKey{}, loc)
}

// ZoneOf returns the time zone ctx carries, if any.
func ZoneOf(ctx context.Context) (*time.Location, bool) {
	loc, ok := ctx.Value(zoneKey{}).(*time.Location)
	return loc, ok && loc != nil
}

// carryZone gives an answer's own context the zone of the request that
// started it.
func carryZone(from, to context.Context) context.Context {
	if loc, ok := ZoneOf(from); ok {
		return WithZone(to, loc)
	}
	return to
}
