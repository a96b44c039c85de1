package google

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"confidant/connectors/oauth"
)

// Errors a sync reacts to itself.
var (
	errNotFound = errors.New("google: not found") // 404, e.g. a too-old historyId
	errGone     = errors.New("google: gone")      // 410, e.g. an invalid syncToken
)

// apiError is Google's JSON error body.
type apiError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Errors  []struct {
			Domain string `json:"domain"`
			Reason string `json:"reason"`
		} `json:"errors"`
	} `json:"error"`
}

func (e apiError) reason() string {
	if len(e.Error.Errors) > 0 {
		return e.Error.Errors[0].Reason
	}
	return e.Error.Status
}

// newAPI is Google's REST API as the shared caller sees it.
func newAPI(client *oauth.Client, o Options) *oauth.API {
	return &oauth.API{
		Client: client, Options: o.shared(), Name: "Google", Prefix: "google",
		Reason: func(body []byte) string {
			var ae apiError
			_ = json.Unmarshal(body, &ae)
			return ae.reason()
		},
		ReasonLabel: "reason",
		// Google throttles with a 429, or a 403 whose reason says so.
		Throttled: func(status int, _ http.Header, reason string) bool {
			return status == http.StatusTooManyRequests ||
				(status == http.StatusForbidden && (reason == "rateLimitExceeded" || reason == "userRateLimitExceeded"))
		},
		NotFound: errNotFound, Gone: errGone,
	}
}

// call sends a request and decodes the JSON answer into out, waiting out
// short rate limits. Failures come back as *connectors.Error, or as
// errNotFound / errGone for the sync to handle.
func (s *Source) call(ctx context.Context, method, url string, body any, out any) error {
	return s.api.Call(ctx, method, url, nil, body, out)
}

// classify turns a transport or token failure into a *connectors.Error.
func (s *Source) classify(err error) error { return s.api.Classify(err) }

// orServer turns a 404 or 410 where none is expected into a server error.
func (s *Source) orServer(err error) error { return s.api.OrServer(err) }
