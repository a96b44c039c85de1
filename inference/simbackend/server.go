package simbackend

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"confidant/inference/signing"
)

// maxBody caps request bodies.
const maxBody = 8 << 20

// Server is the simulated backend. It is safe for concurrent use.
type Server struct {
	opts   Options
	models map[string]Model
	keys   keys
	sigs   *sigStore
}

// New returns a Server with opts (zero fields take their defaults).
func New(opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{
		opts:   opts,
		models: make(map[string]Model, len(opts.Models)),
		keys:   deriveKeys(opts.Seed),
		sigs:   newSigStore(opts.MaxSignatures),
	}
	for _, m := range opts.Models {
		s.models[m.ID] = m
	}
	return s
}

// SigningAddress returns the signing_address the server reports for algo.
func (s *Server) SigningAddress(algo signing.Algo) string {
	return s.keys.signer(algo).Address()
}

// route is one endpoint.
type route struct {
	method string
	public bool // no API key needed
	handle func(s *Server, w http.ResponseWriter, r *http.Request, arg string)
}

// routeFor finds the endpoint for path and the path argument, if any.
func routeFor(path string) (route, string, bool) {
	switch path {
	case "/v1/models":
		return route{method: http.MethodGet, handle: (*Server).handleModels}, "", true
	case "/v1/chat/completions":
		return route{method: http.MethodPost, handle: (*Server).handleChat}, "", true
	case "/v1/embeddings":
		return route{method: http.MethodPost, handle: (*Server).handleEmbeddings}, "", true
	case "/v1/attestation/report":
		return route{method: http.MethodGet, public: true, handle: (*Server).handleReport}, "", true
	}
	if id, ok := strings.CutPrefix(path, "/v1/signature/"); ok && id != "" && !strings.Contains(id, "/") {
		return route{method: http.MethodGet, handle: (*Server).handleSignature}, id, true
	}
	return route{}, "", false
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, arg, ok := routeFor(r.URL.Path)
	if !ok {
		writeError(w, http.StatusNotFound, "not_found_error", "not_found", "no such endpoint")
		return
	}
	if r.Method != rt.method && !(rt.method == http.MethodGet && r.Method == http.MethodHead) {
		w.Header().Set("Allow", rt.method)
		writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed",
			"method "+r.Method+" is not allowed; use "+rt.method)
		return
	}
	if !rt.public && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="confidant-sim"`)
		writeError(w, http.StatusUnauthorized, "authentication_error", "invalid_api_key", "missing or invalid API key")
		return
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	}
	rt.handle(s, w, r, arg)
}

// authorized reports whether r carries the API key, or none is required.
func (s *Server) authorized(r *http.Request) bool {
	if s.opts.APIKey == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.APIKey)) == 1
}

// model returns the model named id if it serves kind, or writes the error
// (404 unknown, 400 wrong kind) and reports false.
func (s *Server) model(w http.ResponseWriter, id string, kind Kind) (Model, bool) {
	if id == "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "missing_model", "model is required")
		return Model{}, false
	}
	m, ok := s.models[id]
	if !ok {
		writeError(w, http.StatusNotFound, "invalid_request_error", "model_not_found",
			"the model `"+id+"` does not exist")
		return Model{}, false
	}
	if m.Kind != kind {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "model_not_supported",
			"the model `"+id+"` does not support this endpoint")
		return Model{}, false
	}
	return m, true
}
