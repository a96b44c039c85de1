// Package web assembles Confidant's HTTP server: it wires the handlers to
// their dependencies, registers every route and sets up the middleware for
// request ids, logging, security headers, CSRF and rate limits.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"confidant/attestation"
	"confidant/auth"
	"confidant/chat"
	"confidant/config"
	"confidant/connectors"
	"confidant/connectors/tools"
	"confidant/handlers"
	"confidant/inference"
	"confidant/memory"
	"confidant/portability/bundle"
	"confidant/portability/exporter"
	"confidant/portability/imports"
	"confidant/portability/transfer"
	"confidant/rag"
	"confidant/render/markdown"
	"confidant/static"
	"confidant/store"
	"confidant/verifier"
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
	Backend     chat.Backend    // where answers come from
	Models      handlers.Models // which models the backends offer
	// Inference reaches the verified backends, for embeddings and memory
	// extraction; nil leaves memory without a backend (pages still work).
	Inference *inference.Attestor
	// Reporter makes the app's own attestation reports, for its signing
	// keys; it also signs the app's API responses.
	Reporter *attestation.Reporter
	// Verdicts gives each backend's latest verification, for the shield
	// and the verification page; nil: none is verified.
	Verdicts handlers.BackendVerdicts
	// Enclave describes the app's identity and measurements.
	Enclave handlers.EnclaveInfo
	// Pool runs document ingestion (River on the same Postgres); without
	// it, or without Inference, the document routes are off.
	Pool *pgxpool.Pool
	// ConnectOAuth stores an account connected through OAuth (the
	// connectors service's Connect); nil makes the callback refuse.
	ConnectOAuth handlers.ConnectOAuth
	// OAuthDial is the guarded dialer for the OAuth providers; nil dials
	// plainly.
	OAuthDial connectors.Dialer
	// Connectors builds a mail or calendar Source per kind; with Pool, the
	// connector routes and sync jobs are on.
	Connectors map[connectors.Kind]connectors.SourceFactory
	// ConnectorsStrict refuses private, loopback and link-local addresses
	// to connectors even with the simulated enclave (tests of the real
	// policy); with a real enclave they are always refused.
	ConnectorsStrict bool
	// Transfer moves accounts between forks (docs/fork-transfer.md); nil
	// turns its routes off.
	Transfer *TransferDeps
	// ConnectorReader, when set, is what the assistant's tools read of the
	// users' mail and calendar accounts (tests); otherwise they read the
	// connector service's.
	ConnectorReader connectors.Reader
}

// Server is the assembled app: the echo instance and what must be drained
// when it stops.
type Server struct {
	*echo.Echo
	chat     *chat.Service
	docs     *rag.Service
	imports  *imports.Service
	transfer *transfer.Service
	// Connectors syncs mail and calendars; nil when off.
	Connectors *connectors.Service
}

// Drain lets running answers finish until ctx ends, then interrupts them,
// committing what they have written; document ingestion stops the same
// way, and what it cut off is retried at the next start.
func (s *Server) Drain(ctx context.Context) {
	s.chat.Shutdown(ctx)
	if s.docs != nil {
		_ = s.docs.Stop(ctx)
	}
	if s.imports != nil {
		_ = s.imports.Stop(ctx)
	}
	if s.Connectors != nil {
		_ = s.Connectors.Stop(ctx)
	}
	if s.transfer != nil {
		s.transfer.Wait(ctx)
	}
}

// Limits on request bodies.
const (
	maxBody   = "4M"
	maxUpload = "64M" // POST /api/documents: up to handlers.MaxUploadFiles files
	// POST /documents: the form's CSRF field makes the CSRF check parse the
	// form first, which keeps up to 32 MB in memory; past that it would
	// spill file contents to temporary files, so the limit stays under.
	maxFormUpload = "31M"
	authPerSec    = 2
	authBurst     = 30
	ceremonyTTL   = auth.CeremonyTTL
	// concurrentReports bounds the public attestation reports made at
	// once, across all callers.
	concurrentReports = 4
	// concurrentExports bounds the account exports one replica streams at
	// once: each holds a database snapshot and a connection while it runs.
	concurrentExports = 4
)

// maxImport limits POST /api/import and /settings/import with htmx, which
// stream the file into sealed rows; the import service refuses past its
// own limit first.
const maxImport = "520M"

// New builds the echo server with every route registered.
func New(d Deps) (*Server, error) {
	if d.Reporter == nil {
		return nil, errors.New("web: no attestation reporter")
	}
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
	pages := &handlers.Pages{Assets: assets, ShieldFor: func(context.Context) views.Shield {
		var verdicts []inference.BackendVerdict
		if d.Verdicts != nil {
			verdicts = d.Verdicts.Verdicts()
		}
		return shieldFor(d.EnclaveMode, verdicts)
	}}
	cookies := &handlers.SessionCookies{Secure: d.Config.Secure()}
	authH := &handlers.Auth{Pages: pages, Service: svc, Cookies: cookies}
	settings := &handlers.Settings{Pages: pages, Service: svc, Store: d.Store, Cookies: cookies, Origin: d.Config.Origin, Now: d.Now}
	home := &handlers.Home{Pages: pages, EnclaveMode: d.EnclaveMode, Version: d.Version, Commit: d.Commit, Origin: d.Config.Origin.String(),
		Enclave: d.Enclave, Backends: d.Verdicts, Now: d.Now}
	health := &handlers.Health{Checks: d.ReadyChecks, Log: d.Log}
	var embedder memory.Embedder
	if d.Inference != nil {
		embedder = d.Inference
	}
	memories := &handlers.Memories{Settings: settings, Store: d.Store,
		Service: memory.New(d.Store, embedder, memory.Options{Now: d.Now, Log: d.Log, EmbedModel: d.Config.EmbedModel})}
	var docs *rag.Service
	if d.Pool != nil && d.Inference != nil {
		if docs, err = rag.NewService(d.Pool, d.Store, d.Inference, rag.Options{Now: d.Now, Log: d.Log, EmbedModel: d.Config.EmbedModel}); err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		if err := docs.Start(context.Background()); err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
	}
	conns, err := newConnectors(d)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	// Listen: viewers here of answers other replicas write wake on their commits.
	chatOpts := chat.Options{Now: d.Now, Log: d.Log, Listen: d.Pool != nil}
	if docs != nil {
		chatOpts.Documents = chatDocuments{docs}
	}
	if d.Inference != nil {
		chatOpts.Memory = chatMemory{svc: memories.Service, backend: d.Inference}
	}
	var assistantTools *tools.Executor
	var reader connectors.Reader
	switch {
	case d.ConnectorReader != nil:
		reader = d.ConnectorReader
	case conns != nil:
		reader = conns
	}
	if reader != nil {
		assistantTools = tools.New(reader, d.Store, tools.Options{Now: d.Now, Log: d.Log, Zone: userZone})
		chatOpts.Tools = assistantTools
	}
	chatSvc := chat.New(d.Store, d.Backend, chatOpts)
	md := markdown.New(markdown.Options{Logger: d.Log})
	codeCSS, err := md.CSS("github", "github-dark")
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	assets.Add("code.css", []byte(codeCSS))
	chatH := &handlers.Chat{Pages: pages, Service: chatSvc, Store: d.Store, Markdown: md, Models: d.Models, Now: d.Now}
	if docs != nil {
		chatH.Documents = docs
	}
	if assistantTools != nil {
		chatH.Proposals = assistantTools
	}
	pages.Conversations = chatH.SidebarFor
	responses := attestation.NewResponses(d.Store, d.Reporter.Signers(), d.Now)
	att := &handlers.Attestation{Reporter: d.Reporter, Responses: responses, Slots: make(chan struct{}, concurrentReports)}
	api := &handlers.API{Auth: svc, Chat: chatSvc, Store: d.Store, Models: d.Models, Now: d.Now, Log: d.Log, Signatures: responses}
	errs := &handlers.Errors{Pages: pages, Log: d.Log}
	exportH := &handlers.Export{Settings: settings, Log: d.Log, Slots: make(chan struct{}, concurrentExports),
		Exporter: &exporter.Exporter{Store: d.Store, Now: d.Now, Source: bundle.Source{Origin: d.Config.Origin.String(), Version: d.Version, Commit: d.Commit}}}

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
	// Body limits apply before routing, so before the CSRF check reads a form.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: maxBody, Skipper: func(c echo.Context) bool { return uploadRoute(c) != "" }}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: maxUpload, Skipper: func(c echo.Context) bool { return uploadRoute(c) != "/api/documents" }}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: maxFormUpload, Skipper: func(c echo.Context) bool { return uploadRoute(c) != "/documents" }}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: maxImport, Skipper: func(c echo.Context) bool { return uploadRoute(c) != "/api/import" }}))
	// Without the CSRF header (no JavaScript), the CSRF check parses the
	// form, which must then stay in memory: the documents form's limit.
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: maxImport, Skipper: func(c echo.Context) bool {
		return uploadRoute(c) != "/settings/import" || c.Request().Header.Get("X-CSRF-Token") == ""
	}}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: maxFormUpload, Skipper: func(c echo.Context) bool {
		return uploadRoute(c) != "/settings/import" || c.Request().Header.Get("X-CSRF-Token") != ""
	}}))

	e.GET("/healthz", health.Healthz)
	e.GET("/readyz", health.Readyz)
	e.GET(static.Prefix+"*", echo.WrapHandler(assets))
	// Public and cross-origin: anyone may check what runs here. Each
	// report costs a hardware quote, hence the rate limit.
	e.GET("/v1/attestation/report", att.Report, authRateLimit(authPerSec, authBurst))
	e.OPTIONS("/v1/attestation/report", att.Preflight)
	e.GET("/verifier", func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, "/verifier/") })
	e.GET("/verifier/*", echo.WrapHandler(http.StripPrefix("/verifier", verifier.Handler())))

	app := e.Group("", csrf(d.Config.Secure()), noStore, authH.LoadSession, browserZone)
	app.GET("/", chatH.New)
	app.GET("/attestation", home.Attestation)
	app.GET("/attestation/messages/:id", chatH.AnswerEvidence, handlers.RequireUser)
	app.GET("/attestation/messages/:id/badge", chatH.AnswerBadge, handlers.RequireUser)
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

	c := app.Group("/c", handlers.RequireUser)
	c.GET("", chatH.List)
	c.POST("", chatH.Create)
	c.GET("/:id", chatH.Show)
	c.GET("/:id/earlier", chatH.Earlier)
	c.POST("/:id/messages", chatH.Send)
	c.POST("/:id/rename", chatH.Rename)
	c.POST("/:id/pin", chatH.Pin)
	c.POST("/:id/model", chatH.SetModel)
	c.POST("/:id/documents", chatH.SetDocuments)
	c.POST("/:id/archive", chatH.Archive)
	c.POST("/:id/delete", chatH.Delete)
	c.GET("/:id/m/:mid/stream", chatH.Stream)
	c.POST("/:id/m/:mid/stop", chatH.Stop)
	c.POST("/:id/m/:mid/regenerate", chatH.Regenerate)
	c.POST("/:id/m/:mid/edit", chatH.Edit)
	c.POST("/:id/m/:mid/show", chatH.ShowVersion)

	v1 := app.Group("/v1", api.Authenticate, handlers.RequireScope(auth.ScopeChat))
	v1.GET("/models", api.ListModels)
	v1.POST("/chat/completions", api.ChatCompletions)
	v1.GET("/signature/:id", att.Signature)
	apiGroup := app.Group("/api", api.Authenticate)
	apiGroup.GET("/conversations", api.Conversations, handlers.RequireScope(auth.ScopeRead))
	apiGroup.GET("/conversations/:id", api.Conversation, handlers.RequireScope(auth.ScopeRead))
	apiGroup.GET("/memories", memories.APIList, handlers.RequireScope(auth.ScopeRead))
	apiGroup.POST("/memories", memories.APIAdd, handlers.RequireScope(auth.ScopeWrite))
	apiGroup.PATCH("/memories/:id", memories.APIEdit, handlers.RequireScope(auth.ScopeWrite))
	apiGroup.DELETE("/memories/:id", memories.APIDelete, handlers.RequireScope(auth.ScopeWrite))
	jobs := &handlers.Jobs{}
	var importSvc *imports.Service
	if d.Pool != nil {
		bundles := &imports.Bundles{Store: d.Store, EmbedModel: d.Config.EmbedModel, Now: d.Now}
		if conns != nil {
			bundles.Connect = func(ctx context.Context, userID uuid.UUID, s connectors.Settings) (uuid.UUID, error) {
				c, err := conns.Connect(ctx, userID, s)
				return c.ID, err
			}
		}
		if d.Inference != nil {
			bundles.Embedder = d.Inference
		}
		if docs != nil {
			bundles.Documents = docs
		}
		if importSvc, err = imports.New(d.Pool, d.Store, imports.Options{Now: d.Now, Log: d.Log, Bundles: bundles}); err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		if err := importSvc.Start(context.Background()); err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		jobs.Imports = importSvc
		importH := &handlers.Imports{Service: importSvc, Settings: settings}
		apiGroup.POST("/import", importH.APISubmit, handlers.RequireScope(auth.ScopeWrite))
		app.GET("/settings/import", importH.ImportPage, handlers.RequireUser)
		app.POST("/settings/import", importH.ImportSubmit, handlers.RequireUser)
		app.GET("/settings/import/jobs/:id", importH.ImportJob, handlers.RequireUser)
	}
	apiGroup.POST("/export", exportH.API, handlers.RequireScope(auth.ScopeExport))
	if docs != nil {
		docsH := &handlers.Documents{Service: docs}
		searchH := &handlers.Search{Searcher: docs}
		apiGroup.POST("/documents", docsH.Upload, handlers.RequireScope(auth.ScopeWrite))
		apiGroup.GET("/documents", docsH.List, handlers.RequireScope(auth.ScopeRead))
		apiGroup.DELETE("/documents/:id", docsH.Delete, handlers.RequireScope(auth.ScopeWrite))
		jobs.Documents = docsH
		apiGroup.GET("/search", searchH.Search, handlers.RequireScope(auth.ScopeRead))
		apiGroup.GET("/passages/:id", searchH.Passage, handlers.RequireScope(auth.ScopeRead))
		pageH := &handlers.DocumentsPage{Pages: pages, Service: docs, Passages: docs, Store: d.Store, Now: d.Now}
		dg := app.Group("/documents", handlers.RequireUser)
		dg.GET("", pageH.Index)
		dg.GET("/list", pageH.List)
		dg.POST("", pageH.Upload)
		dg.POST("/:id/delete", pageH.Delete)
		dg.POST("/:id/collection", pageH.MoveDocument)
		dg.POST("/collections", pageH.CreateCollection)
		dg.POST("/collections/:id/delete", pageH.DeleteCollection)
		app.GET("/passages/:id", pageH.Passage, handlers.RequireUser)
	}

	if jobs.Imports != nil || jobs.Documents != nil {
		apiGroup.GET("/jobs/:id", jobs.Show, handlers.RequireScope(auth.ScopeRead))
	}
	oauthFlow := newOAuthFlow(d, conns)
	if conns != nil {
		connH := &handlers.Connectors{Service: conns}
		apiGroup.GET("/connectors", connH.List, handlers.RequireScope(auth.ScopeRead))
		apiGroup.GET("/connectors/:id", connH.Get, handlers.RequireScope(auth.ScopeRead))
		apiGroup.POST("/connectors", connH.Create, handlers.RequireScope(auth.ScopeWrite))
		apiGroup.POST("/connectors/:id/sync", connH.Sync, handlers.RequireScope(auth.ScopeWrite))
		apiGroup.DELETE("/connectors/:id", connH.Delete, handlers.RequireScope(auth.ScopeWrite))
		connPage := &handlers.ConnectionsPage{Pages: pages, Service: conns, Now: d.Now, OAuthKinds: oauthFlow.Offered()}
		cg := app.Group("/connections", handlers.RequireUser)
		cg.GET("", connPage.Index)
		cg.POST("", connPage.Create)
		cg.GET("/:id", connPage.Row)
		cg.POST("/:id/sync", connPage.Sync)
		cg.POST("/:id/delete", connPage.Delete)
	}

	if assistantTools != nil {
		proposals := &handlers.Proposals{Pages: pages, Actions: assistantTools}
		app.POST("/proposals/:id/confirm", proposals.Confirm, handlers.RequireUser)
		app.POST("/proposals/:id/dismiss", proposals.Dismiss, handlers.RequireUser)
	}
	oauthH := &handlers.ConnectorsOAuth{Pages: pages, Flow: oauthFlow, Connect: oauthConnect(d, conns), Log: d.Log}
	app.GET("/connections/oauth/:kind/start", oauthH.Start, handlers.RequireUser, authRateLimit(authPerSec, authBurst))
	app.GET(oauthCallbackPath, oauthH.Callback, handlers.RequireUser)

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
	s.GET("/instructions", settings.Instructions)
	s.POST("/instructions", settings.SaveInstructions)
	s.GET("/memory", memories.Page)
	s.POST("/memory", memories.Add)
	s.POST("/memory/pause", memories.Pause)
	s.POST("/memory/:id", memories.Edit)
	s.POST("/memory/:id/delete", memories.Delete)
	s.GET("/api-keys", settings.APIKeys)
	s.POST("/api-keys/begin", settings.APIKeyBegin)
	s.POST("/api-keys/finish", settings.APIKeyFinish)
	s.POST("/api-keys/:id/delete", settings.APIKeyRevoke)
	s.GET("/account", settings.DeleteAccountPage)
	s.POST("/account/delete/begin", settings.DeleteAccountBegin)
	s.POST("/account/delete/finish", settings.DeleteAccountFinish)
	s.GET("/export", exportH.Page)
	s.POST("/export/begin", exportH.Begin)
	s.POST("/export/finish", exportH.Finish)
	s.POST("/export/download", exportH.Download)

	transferSvc, err := newTransfer(d, importSvc)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if transferSvc != nil {
		tr := &handlers.Transfer{Pages: pages, Settings: settings, Service: transferSvc}
		// Machine endpoints: the offer is public (it costs a quote, hence
		// the rate limit); the upload is authorized by its one-time token.
		e.GET("/v1/transfer/:id/offer", tr.Offer, authRateLimit(authPerSec, authBurst))
		e.POST("/v1/transfer/:id/upload", tr.Upload, authRateLimit(authPerSec, authBurst))
		app.GET("/transfer/out", tr.OutPage, authRateLimit(authPerSec, authBurst))
		app.POST("/transfer/out/begin", tr.OutBegin, handlers.RequireUser)
		app.POST("/transfer/out/finish", tr.OutFinish, handlers.RequireUser)
		app.GET("/transfer/out/:id", tr.SendPage, handlers.RequireUser)
		app.GET("/transfer/out/:id/status", tr.SendStatus, handlers.RequireUser)
		s.GET("/transfer", tr.Page)
		s.POST("/transfer", tr.Create)
		s.GET("/transfer/:id", tr.Status)
		s.GET("/transfer/:id/status", tr.StatusFragment)
	}

	return &Server{Echo: e, chat: chatSvc, docs: docs, imports: importSvc, transfer: transferSvc, Connectors: conns}, nil
}

// uploadRoute names the document upload a request goes to ("" for any
// other request): uploads have their own, larger body limits.
func uploadRoute(c echo.Context) string {
	p := c.Request().URL.Path
	if c.Request().Method == http.MethodPost && (p == "/api/documents" || p == "/documents" || p == "/api/import" || p == "/settings/import") {
		return p
	}
	if c.Request().Method == http.MethodPost && strings.HasPrefix(p, "/v1/transfer/") && strings.HasSuffix(p, "/upload") {
		return "/v1/transfer/upload" // capped by transfer.MaxUpload
	}
	return ""
}
