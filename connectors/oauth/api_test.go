package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"confidant/connectors"
	"confidant/connectors/oauth"
)

// answer is what the test server says to one request.
type answer struct {
	status     int
	retryAfter string
	body       string
}

func TestAPICall(t *testing.T) {
	t.Parallel()
	errNotFound, errGone := errors.New("acme: not found"), errors.New("acme: gone")
	ok := answer{http.StatusOK, "", `{"v":1}`}
	fail := func(status int, retryAfter, code string) answer {
		return answer{status, retryAfter, `{"error":{"code":"` + code + `"}}`}
	}
	for _, tc := range []struct {
		name    string
		answers []answer // in order; the last one repeats
		code    string   // of the *connectors.Error; "" for none
		message string
		cause   string // the error's text below the *connectors.Error
		is      error
		retry   bool
		sleeps  int
	}{
		{name: "ok", answers: []answer{ok}},
		{name: "throttled once, then ok", answers: []answer{fail(429, "1", "TooMany"), ok}, sleeps: 1},
		{name: "throttled by the provider's own predicate", answers: []answer{fail(403, "1", "slowDown"), fail(403, "1", "slowDown"), ok}, sleeps: 2},
		{name: "throttled on every try", answers: []answer{fail(429, "1", "TooMany")}, sleeps: 2,
			code: "rate_limited", message: "Acme asked Confidant to slow down; the sync resumes shortly.", cause: "rate limited, retry after 1s", retry: true},
		{name: "a wait longer than MaxWait ends at once", answers: []answer{fail(429, "120", "TooMany")},
			code: "rate_limited", message: "Acme asked Confidant to slow down; the sync resumes shortly.", cause: "rate limited, retry after 2m0s", retry: true},
		{name: "not found", answers: []answer{fail(404, "", "itemNotFound")}, is: errNotFound, cause: "acme: not found: itemNotFound"},
		{name: "gone", answers: []answer{fail(410, "", "syncStateInvalid")}, is: errGone, cause: "acme: gone: syncStateInvalid"},
		{name: "forbidden", answers: []answer{fail(403, "", "accessDenied")},
			code: "auth_failed", message: "Acme no longer accepts Confidant's access: connect again.", cause: `status 403, code "accessDenied"`},
		{name: "server error", answers: []answer{fail(503, "", "unavailable")},
			code: "server", message: "Acme answered with an error; the sync will try again.", cause: `status 503, code "unavailable"`, retry: true},
		{name: "refused", answers: []answer{fail(400, "", "badRequest")},
			code: "server", message: "Acme refused a request from Confidant.", cause: `status 400, code "badRequest"`},
		{name: "an answer that is not JSON", answers: []answer{{http.StatusOK, "", "<html>"}},
			code: "server", message: "Acme answered in a form Confidant does not understand.", cause: "invalid character '<' looking for beginning of value", retry: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer live" || r.Header.Get("Prefer") != "odata.maxpagesize=2" {
					http.Error(w, "headers missing", http.StatusTeapot)
					return
				}
				a := tc.answers[min(int(n.Add(1))-1, len(tc.answers)-1)]
				if a.retryAfter != "" {
					w.Header().Set("Retry-After", a.retryAfter)
				}
				w.WriteHeader(a.status)
				_, _ = w.Write([]byte(a.body))
			}))
			defer srv.Close()
			api, sleeps := acmeAPI(errNotFound, errGone)
			var out struct{ V int }
			err := api.Call(context.Background(), http.MethodGet, srv.URL, http.Header{"Prefer": {"odata.maxpagesize=2"}}, nil, &out)
			checkAPIError(t, err, tc.code, tc.message, tc.cause, tc.is, tc.retry)
			if err == nil && out.V != 1 {
				t.Errorf("decoded %+v", out)
			}
			if len(*sleeps) != tc.sleeps {
				t.Errorf("slept %v; want %d waits", *sleeps, tc.sleeps)
			}
		})
	}

	t.Run("unreachable, and 404 or 410 where none is expected", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		api, _ := acmeAPI(errNotFound, errGone)
		err := api.Call(context.Background(), http.MethodGet, srv.URL, nil, nil, nil)
		checkAPIError(t, err, "unreachable", "Acme could not be reached; the sync will try again.", "", nil, true)
		err = api.OrServer(errGone)
		checkAPIError(t, err, "server", "Acme answered with an error; the sync will try again.", "acme: gone", errGone, true)
		if other := errors.New("other"); api.OrServer(other) != other {
			t.Error("OrServer changed an error that is neither NotFound nor Gone")
		}
	})
}

// acmeAPI is a provider that throttles with 429, or 403 "slowDown".
func acmeAPI(notFound, gone error) (*oauth.API, *[]time.Duration) {
	var sleeps []time.Duration
	client := oauth.NewClient(oauth.Provider{}, connectors.Settings{AccessToken: "live"}, nil, nil, nil)
	return &oauth.API{
		Client: client, Name: "Acme", Prefix: "acme",
		Options: oauth.SyncOptions{Sleep: func(_ context.Context, d time.Duration) error {
			sleeps = append(sleeps, d)
			return nil
		}}.WithDefaults(),
		Reason: func(body []byte) string {
			_, code, _ := strings.Cut(string(body), `"code":"`)
			code, _, _ = strings.Cut(code, `"`)
			return code
		},
		ReasonLabel: "code",
		Throttled: func(status int, _ http.Header, reason string) bool {
			return status == http.StatusTooManyRequests || (status == http.StatusForbidden && reason == "slowDown")
		},
		NotFound: notFound, Gone: gone,
	}, &sleeps
}

func checkAPIError(t *testing.T, err error, code, message, cause string, is error, retry bool) {
	t.Helper()
	var ce *connectors.Error
	switch {
	case code == "" && is == nil:
		if err != nil {
			t.Fatalf("error %v; want none", err)
		}
		return
	case code == "":
		if errors.As(err, &ce) || !errors.Is(err, is) || err.Error() != cause {
			t.Fatalf("error %v; want %q wrapping %v", err, cause, is)
		}
		return
	case !errors.As(err, &ce):
		t.Fatalf("error %v; want a *connectors.Error", err)
	}
	if ce.Code != code || ce.Message != message || ce.Retry != retry {
		t.Errorf("error %q %q retry %v; want %q %q retry %v", ce.Code, ce.Message, ce.Retry, code, message, retry)
	}
	if cause != "" && (ce.Err == nil || ce.Err.Error() != cause) {
		t.Errorf("cause %v; want %q", ce.Err, cause)
	}
	if is != nil && !errors.Is(err, is) {
		t.Errorf("error %v does not wrap %v", err, is)
	}
}
