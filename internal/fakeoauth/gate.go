package fakeoauth

import (
	"net/http"
	"sync"
)

// Gate fronts a fake provider's API: it counts requests by "METHOD
// /path", turns away those without a valid access token, and answers a
// forced number of requests as rate limited. The provider writes both
// answers in its own wire format.
type Gate struct {
	Authority *Authority
	// Unauthorized writes the provider's 401.
	Unauthorized func(w http.ResponseWriter)
	// Limited writes the provider's rate-limit answer with status (the one
	// RateLimit was given); Retry-After: 1 is already set.
	Limited func(w http.ResponseWriter, status int)

	mu          sync.Mutex
	requests    map[string]int
	limited     int
	limitStatus int
}

// Wrap checks the access token and the forced rate limit, then serves h.
func (g *Gate) Wrap(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		if g.requests == nil {
			g.requests = map[string]int{}
		}
		g.requests[r.Method+" "+r.URL.Path]++
		g.mu.Unlock()
		if !g.Authority.Valid(r) {
			g.Unauthorized(w)
			return
		}
		g.mu.Lock()
		limited, status := g.limited > 0, g.limitStatus
		if limited {
			g.limited--
		}
		g.mu.Unlock()
		if limited {
			w.Header().Set("Retry-After", "1")
			g.Limited(w, status)
			return
		}
		h(w, r)
	}
}

// RateLimit makes the next n API requests answer as rate limited with
// status.
func (g *Gate) RateLimit(n, status int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.limited, g.limitStatus = n, status
}

// Requests counts the API requests served for "METHOD /path".
func (g *Gate) Requests(route string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.requests[route]
}
