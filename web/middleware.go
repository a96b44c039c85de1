package web

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"confidant/web/webctx"
)

// newRequestID returns 16 random hex digits.
func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// accessLog logs one line per request: method, route, path, status, size
// and duration. It leaves out query strings, bodies, cookies and headers,
// where user content and secrets travel.
func accessLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err) // let the central handler write the response so the status is final
			}
			res := c.Response()
			level := slog.LevelInfo
			if res.Status >= 500 {
				level = slog.LevelError
			}
			log.LogAttrs(c.Request().Context(), level, "http",
				slog.String("method", c.Request().Method),
				slog.String("route", c.Path()),
				slog.String("path", c.Request().URL.Path),
				slog.Int("status", res.Status),
				slog.Int64("bytes", res.Size),
				slog.Duration("duration", time.Since(start)),
				slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)))
			return nil
		}
	}
}

// securityHeaders sets a strict CSP with a fresh nonce for each response,
// and the other headers that keep the app out of frames and sniffers.
func securityHeaders(tls bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			b := make([]byte, 18)
			_, _ = rand.Read(b)
			nonce := base64.StdEncoding.EncodeToString(b)
			webctx.SetNonce(c, nonce)
			h := c.Response().Header()
			h.Set("Content-Security-Policy", strings.Join([]string{
				"default-src 'none'",
				"script-src 'self' 'nonce-" + nonce + "'",
				"style-src 'self' 'nonce-" + nonce + "'",
				"img-src 'self' data:",
				"font-src 'self'",
				"connect-src 'self'",
				"form-action 'self'",
				"frame-ancestors 'none'",
				"base-uri 'none'",
				"manifest-src 'self'",
			}, "; "))
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Cross-Origin-Resource-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
			if tls {
				h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
			}
			return next(c)
		}
	}
}

// noStore keeps pages with personal data out of shared and browser caches.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

// csrf rejects state-changing requests that are neither same-origin by the
// browser's Sec-Fetch-Site nor carry the token from the page.
func csrf(secure bool) echo.MiddlewareFunc {
	config := func(lookup string) middleware.CSRFConfig {
		return middleware.CSRFConfig{
			Skipper:        func(c echo.Context) bool { return isMachineRoute(c) || hasBearer(c) },
			TokenLookup:    lookup,
			ContextKey:     webctx.KeyCSRF,
			CookieName:     "confidant_csrf",
			CookiePath:     "/",
			CookieHTTPOnly: true,
			CookieSecure:   secure,
			CookieSameSite: http.SameSiteStrictMode,
			CookieMaxAge:   86400,
		}
	}
	pages := middleware.CSRFWithConfig(config("header:X-CSRF-Token,form:_csrf"))
	// The JSON APIs, and any request that brings the header, take the
	// token from the header only: looking in the form would parse a large
	// upload (to temporary files, past the memory limit) before anyone is
	// authenticated, and a wrong header must not lift the body limit that
	// its presence selects.
	apis := middleware.CSRFWithConfig(config("header:X-CSRF-Token"))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		forPages, forAPIs := pages(next), apis(next)
		return func(c echo.Context) error {
			p := c.Request().URL.Path
			if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/v1/") || c.Request().Header.Get("X-CSRF-Token") != "" {
				return forAPIs(c)
			}
			return forPages(c)
		}
	}
}

// isMachineRoute reports whether a request goes to a route that browsers
// do not drive with cookies: static files and health probes.
func isMachineRoute(c echo.Context) bool {
	p := c.Request().URL.Path
	return strings.HasPrefix(p, "/static/") || p == "/healthz" || p == "/readyz"
}

// hasBearer reports whether a request authenticates with an API key rather
// than cookies; a cross-site page cannot attach one, so CSRF does not apply.
func hasBearer(c echo.Context) bool {
	return strings.HasPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
}

// authRateLimit allows each client address a burst of ceremony requests and
// then a steady trickle, to slow down guessing of recovery codes and floods
// of challenges. The limiter is per replica, in memory.
func authRateLimit(perSecond float64, burst int) echo.MiddlewareFunc {
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(perSecond), Burst: burst, ExpiresIn: 10 * time.Minute,
		}),
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			return echo.NewHTTPError(http.StatusTooManyRequests)
		},
	})
}
