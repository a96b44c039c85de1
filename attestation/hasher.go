package attestation

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
)

// ResponseHasher accumulates what a response signature covers: the exact
// request body, and the exact response bytes — for a stream, every `data:`
// payload without its prefix, excluding [DONE], concatenated.
type ResponseHasher struct {
	request [sha256.Size]byte
	resp    hash.Hash
}

// NewResponseHasher starts the hash of the response to requestBody.
func NewResponseHasher(requestBody []byte) *ResponseHasher {
	return &ResponseHasher{request: sha256.Sum256(requestBody), resp: sha256.New()}
}

// Write adds response bytes; it never fails.
func (h *ResponseHasher) Write(p []byte) (int, error) { return h.resp.Write(p) }

// Text returns the signed text: sha256hex(request):sha256hex(response).
func (h *ResponseHasher) Text() string {
	return hex.EncodeToString(h.request[:]) + ":" + hex.EncodeToString(h.resp.Sum(nil))
}
