package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"confidant/connectors"
	"confidant/connectors/oauth"
)

var (
	errGone     = errors.New("graph: gone") // 410: the delta token is no longer valid
	errNotFound = errors.New("graph: not found")
)

type graphError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// newAPI is Microsoft Graph as the shared caller sees it.
func newAPI(client *oauth.Client, o Options) *oauth.API {
	return &oauth.API{
		Client: client, Options: o.shared(), Name: "Microsoft", Prefix: "graph",
		Reason: func(body []byte) string {
			var ge graphError
			_ = json.Unmarshal(body, &ge)
			return ge.Error.Code
		},
		ReasonLabel: "code",
		// Graph throttles with a 429, or a 503 that carries a Retry-After.
		Throttled: func(status int, h http.Header, _ string) bool {
			return status == http.StatusTooManyRequests || (status == http.StatusServiceUnavailable && h.Get("Retry-After") != "")
		},
		NotFound: errNotFound, Gone: errGone,
	}
}

// call sends a request to a Graph URL (which must be under the Graph
// root, so no token goes elsewhere) and decodes the JSON answer.
func (s *Source) call(ctx context.Context, method, url string, prefer []string, body, out any) error {
	if !strings.HasPrefix(url, s.ep.graph+"/") {
		return &connectors.Error{Code: "server", Message: "Microsoft sent a link Confidant does not follow.", Err: fmt.Errorf("link outside the Graph root")}
	}
	var header http.Header
	if len(prefer) > 0 {
		header = http.Header{"Prefer": {strings.Join(prefer, ", ")}}
	}
	return s.api.Call(ctx, method, url, header, body, out)
}

// orServer turns an unexpected 404 or 410 into a server error.
func (s *Source) orServer(err error) error { return s.api.OrServer(err) }
