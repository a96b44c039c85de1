// Package web assembles Confidant's HTTP server: it wires the handlers to
// their dependencies, registers every route and sets up the middleware for
// request ids, logging, security headers, CSRF and rate limits.
package web

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"confidant/auth"
	"confidant/config"
	"confidant/handlers"
	"confidant/static"
	"confidant/store"
	"confidant/views"
)

// Deps is everything the server needs, built once in main.
type Deps struct {
	Config      *config.Config
	Store       *store.Store
	Log         *slog.Logger
	Version     string
	Commit      string
	EnclaveMode string // what the shield and the verification page report
	ReadyChecks []handlers.ReadinessCheck
	Now         func() time.Time
}

// Limits on request bodies.
const (
	maxBody     = "1M"
	authPerSec  = 2
	authBurst   = 30
	ceremonyTTL = auth.CeremonyTTL
)

// New builds the echo server with every route registered.
func New(d Deps) (*echo.Echo, error) {
	assets, err := static.Load()
	if err != nil {
		return nil, err
	}
	svc, err := auth.New(d.Store, auth.Options{
		RPID:        d.Config.RPID(),
		Origin:      d.Config.Origin.String(),
		InviteOnly:  d.Config.Registration == config.RegistrationInvite,
		Now:         d.Now,
		Log:         d.Log,
		CeremonyTTL: ceremonyTTL,
	})
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	pages := &handlers.Pages{Assets: assets, Shield: shieldFor(d.EnclaveMode)}
	cookies := &handlers.SessionCookies{Secure: d.Config.Secure()}
	authH := &handlers.Auth{Pages: pages, Service: svc, Cookies: cookies}
	settings := &handlers.Settings{Pages: pages, Service: svc, Cookies: cookies, Origin: d.Config.Origin}
	home := &handlers.Home{Pages: pages, EnclaveMode: d.EnclaveMode, Version: d.Version, Commit: d.Commit}
	health := &handlers.Health{Checks: d.ReadyChecks, Log: d.Log}
	errs := &handlers.Errors{Pages: pages, Log: d.Log}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errs.Handle
	e.IPExtractor = echo.ExtractIPDirect()

	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{Generator: newRequestID}))
	e.Use(accessLog(d.Log))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			d.Log.Error("panic", "err", err, "route", c.Path(), "stack", string(stack))
			return err
		},
	}))
	e.Use(securityHeaders(d.Config.Secure()))
	e.Use(middleware.BodyLimit(maxBody))

	e.GET("/healthz", health.Healthz)
	e.GET("/readyz", health.Readyz)
	e.GET(static.Prefix+"*", echo.WrapHandler(assets))

	app := e.Group("", csrf(d.Config.Secure()), noStore, authH.LoadSession)
	app.GET("/", home.Index)
	app.GET("/attestation", home.Attestation)
	app.GET("/login", authH.LoginPage)
	app.GET("/signup", authH.SignupPage)
	app.GET("/recover", authH.RecoverPage)
	app.POST("/logout", authH.Logout)

	ceremonies := app.Group("/auth", authRateLimit(authPerSec, authBurst))
	ceremonies.POST("/signup/begin", authH.SignupBegin)
	ceremonies.POST("/signup/finish", authH.SignupFinish)
	ceremonies.POST("/login/begin", authH.LoginBegin)
	ceremonies.POST("/login/finish", authH.LoginFinish)
	ceremonies.POST("/recover/begin", authH.RecoverBegin)
	ceremonies.POST("/recover/finish", authH.RecoverFinish)

	s := app.Group("/settings", handlers.RequireUser)
	s.GET("", settings.Index)
	s.GET("/passkeys", settings.Passkeys)
	s.POST("/passkeys/begin", settings.AddPasskeyBegin)
	s.POST("/passkeys/finish", settings.AddPasskeyFinish)
	s.POST("/passkeys/:id/rename", settings.RenamePasskey)
	s.POST("/passkeys/:id/delete", settings.RemovePasskey)
	s.GET("/sessions", settings.Sessions)
	s.POST("/sessions/:id/revoke", settings.RevokeSession)
	s.POST("/sessions/revoke-others", settings.RevokeOtherSessions)
	s.GET("/recovery", settings.Recovery)
	s.POST("/recovery/begin", settings.RecoveryBegin)
	s.POST("/recovery/finish", settings.RecoveryFinish)
	s.GET("/activity", settings.Activity)
	s.GET("/invites", settings.Invites)
	s.POST("/invites", settings.CreateInvite)
	s.GET("/account", settings.DeleteAccountPage)
	s.POST("/account/delete/begin", settings.DeleteAccountBegin)
	s.POST("/account/delete/finish", settings.DeleteAccountFinish)

	return e, nil
}

// shieldFor describes the header shield for an enclave mode. Until backend
// attestation exists, nothing is green: a real TEE without verified
// backends is amber too.
func shieldFor(mode string) views.Shield {
	if mode == "simulated" {
		return views.Shield{State: "amber", Label: "Simulated", Title: "Development mode: no hardware protection. Click for details."}
	}
	return views.Shield{State: "amber", Label: "Unverified", Title: "Some checks could not run. Click for details."}
}
