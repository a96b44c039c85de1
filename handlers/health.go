package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// ReadinessCheck is one part of /readyz: a name and a function that
// returns nil when that part is ready.
type ReadinessCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// Health serves /healthz and /readyz.
type Health struct {
	Checks []ReadinessCheck
	Log    *slog.Logger
}

// Healthz answers while the process runs.
func (h *Health) Healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// Readyz answers 200 when every check passes, else 503 with each failure.
// Failures are named, not detailed: details go to the log.
func (h *Health) Readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{}
	status := http.StatusOK
	for _, chk := range h.Checks {
		if err := chk.Check(ctx); err != nil {
			checks[chk.Name] = "failing"
			status = http.StatusServiceUnavailable
			h.Log.Warn("not ready", "check", chk.Name, "err", err)
			continue
		}
		checks[chk.Name] = "ok"
	}
	state := "ready"
	if status != http.StatusOK {
		state = "not ready"
	}
	return c.JSON(status, map[string]any{"status": state, "checks": checks})
}
