package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"confidant/auth"
	"confidant/chat"
	"confidant/store"
	"confidant/views"
)

// apiError is the JSON error shape of DESIGN.md.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Errors is echo's central error handler: it logs each failure once, with
// the request id and without user content, and shows the person a safe
// message, as JSON or as a page depending on what the request wants.
type Errors struct {
	Pages *Pages
	Log   *slog.Logger
}

// Handle implements echo.HTTPErrorHandler.
func (h *Errors) Handle(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, code, msg := h.classify(err)
	reqID := c.Response().Header().Get(echo.HeaderXRequestID)
	attrs := []any{"status", status, "code", code, "method", c.Request().Method, "route", c.Path(), "request_id", reqID}
	if status >= 500 {
		h.Log.Error("request failed", append(attrs, "err", err)...)
	} else {
		h.Log.Info("request refused", append(attrs, "err", err)...)
	}

	if wantsJSON(c) {
		err = c.JSON(status, apiError{apiErrorBody{Code: code, Message: msg}})
	} else {
		d := views.ErrorData{Status: status, Heading: headingFor(status), Message: msg}
		if status >= 500 {
			d.RequestID = reqID
		}
		err = render(c, status, views.ErrorPage(h.Pages.Page(c, d.Heading, ""), d))
	}
	if err != nil {
		h.Log.Error("write error response", "err", err, "request_id", reqID)
	}
}

// classify turns an error into a status, a code and a message that is safe
// to show: only texts written for people, never an internal error's text.
func (h *Errors) classify(err error) (int, string, string) {
	var authErr *auth.Error
	if errors.As(err, &authErr) {
		return authErr.Status, authErr.Code, authErr.Message
	}
	for _, m := range chatErrors {
		if errors.Is(err, m.err) {
			return m.status, m.code, m.msg
		}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg, _ := he.Message.(string)
		switch he.Code {
		case http.StatusNotFound:
			return he.Code, "not_found", "There is nothing at this address."
		case http.StatusMethodNotAllowed:
			return he.Code, "method_not_allowed", "That action is not available here."
		case http.StatusRequestEntityTooLarge:
			return he.Code, "too_large", "That request is too large."
		case http.StatusTooManyRequests:
			return he.Code, "rate_limited", "Too many attempts. Wait a minute, then try again."
		case http.StatusUnauthorized:
			return he.Code, "unauthorized", "Please sign in again."
		case http.StatusForbidden, http.StatusBadRequest:
			if strings.Contains(strings.ToLower(msg), "csrf") {
				return http.StatusForbidden, "csrf_failed", "This page has expired or was opened elsewhere. Reload it and try again."
			}
		}
		if he.Code < 500 && isPersonText(msg) {
			return he.Code, codeFor(he.Code), msg
		}
		if he.Code < 500 {
			return he.Code, codeFor(he.Code), http.StatusText(he.Code) + "."
		}
	}
	return http.StatusInternalServerError, "internal", "Something went wrong on our side. Please try again; if it keeps happening, tell the operator the reference below."
}

// chatErrors words the chat domain's refusals.
var chatErrors = []struct {
	err    error
	status int
	code   string
	msg    string
}{
	{chat.ErrNotFound, http.StatusNotFound, "not_found", "That conversation or message does not exist, or is not yours."},
	{chat.ErrEmptyMessage, http.StatusBadRequest, "empty_message", "Write a message first."},
	{chat.ErrMessageTooLong, http.StatusRequestEntityTooLarge, "message_too_long", "That message is too long: split it into several."},
	{chat.ErrBusy, http.StatusConflict, "busy", "The answer is still being written: wait for it or stop it first."},
	{chat.ErrBackendUnverified, http.StatusServiceUnavailable, chat.CodeBackendUnverified, unverifiedNotice("")},
	{store.ErrBadCursor, http.StatusBadRequest, "bad_cursor", "That list position is not valid."},
}

// isPersonText reports whether an echo error message was written by us for
// people (full sentences) rather than a library's terse text.
func isPersonText(msg string) bool {
	return msg != "" && strings.HasSuffix(msg, ".") && msg[0] >= 'A' && msg[0] <= 'Z'
}

func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusConflict:
		return "conflict"
	}
	return "error"
}

func headingFor(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Page not found"
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusUnauthorized:
		return "Signed out"
	case http.StatusTooManyRequests:
		return "Slow down"
	}
	if status >= 500 {
		return "Something went wrong"
	}
	return "That did not work"
}

// wantsJSON reports whether the client expects a JSON error: API and
// ceremony endpoints, and fetches that ask for JSON.
func wantsJSON(c echo.Context) bool {
	r := c.Request()
	p := r.URL.Path
	if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/auth/") ||
		strings.HasSuffix(p, "/begin") || strings.HasSuffix(p, "/finish") {
		return true
	}
	return strings.Contains(r.Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON) ||
		strings.HasPrefix(r.Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON)
}
