package simbackend

import (
	"net/http"
	"sync"

	"confidant/inference/signing"
)

// sigStore keeps the signed text of recent completions, forgetting the
// oldest beyond its capacity.
type sigStore struct {
	mu    sync.Mutex
	max   int
	texts map[string]string
	order []string // ring of ids, oldest at next
	next  int
}

func newSigStore(max int) *sigStore {
	return &sigStore{max: max, texts: make(map[string]string, max)}
}

// put records the signed text of completion id.
func (s *sigStore) put(id string, reqBody, respBytes []byte) {
	text := signing.SignedText(reqBody, respBytes)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.texts[id]; ok {
		s.texts[id] = text
		return
	}
	if len(s.order) < s.max {
		s.order = append(s.order, id)
	} else {
		delete(s.texts, s.order[s.next])
		s.order[s.next] = id
		s.next = (s.next + 1) % s.max
	}
	s.texts[id] = text
}

// get returns the signed text of completion id.
func (s *sigStore) get(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.texts[id]
	return t, ok
}

// handleSignature serves GET /v1/signature/{id}?signing_algo=&model=.
func (s *Server) handleSignature(w http.ResponseWriter, r *http.Request, id string) {
	algo, err := signing.ParseAlgo(r.URL.Query().Get("signing_algo"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_signing_algo",
			"signing_algo must be ecdsa or ed25519")
		return
	}
	text, ok := s.sigs.get(id)
	if !ok {
		writeError(w, http.StatusNotFound, "not_found_error", "signature_not_found",
			"no signature for this completion id (unknown, incomplete or expired)")
		return
	}
	signer := s.keys.signer(algo)
	sig, err := signer.Sign(text)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error", "signing_failed", "signing failed")
		return
	}
	writeJSON(w, http.StatusOK, signing.Signature{
		Text: text, Signature: sig, SigningAddress: signer.Address(), SigningAlgo: algo,
	})
}
