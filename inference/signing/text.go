package signing

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// SignedText returns the text a backend signs for one completion:
// sha256hex(requestBody) ":" sha256hex(responseBytes). requestBody is the
// exact request body; responseBytes is the exact response body, or for a
// stream every SSE data payload (without "data: ", without [DONE])
// concatenated.
func SignedText(requestBody, responseBytes []byte) string {
	req := sha256.Sum256(requestBody)
	resp := sha256.Sum256(responseBytes)
	return hex.EncodeToString(req[:]) + ":" + hex.EncodeToString(resp[:])
}

// ParseText splits a signed text into its request and response hashes.
// Some servers prefix the model id ("model:req:resp"); that prefix is
// returned as model, and is empty otherwise.
func ParseText(text string) (model, requestHash, responseHash string, err error) {
	parts := strings.Split(text, ":")
	switch len(parts) {
	case 2:
		requestHash, responseHash = parts[0], parts[1]
	case 3:
		model, requestHash, responseHash = parts[0], parts[1], parts[2]
	default:
		return "", "", "", fmt.Errorf("%w: signed text has %d parts, want 2 or 3", ErrMalformed, len(parts))
	}
	for _, h := range []string{requestHash, responseHash} {
		if b, err := hex.DecodeString(h); err != nil || len(b) != sha256.Size {
			return "", "", "", fmt.Errorf("%w: signed text hash is not 64 hex digits", ErrMalformed)
		}
	}
	return model, strings.ToLower(requestHash), strings.ToLower(responseHash), nil
}

// MatchText checks that text hashes exactly requestBody and responseBytes.
func MatchText(text string, requestBody, responseBytes []byte) error {
	_, reqHash, respHash, err := ParseText(text)
	if err != nil {
		return err
	}
	_, wantReq, wantResp, _ := ParseText(SignedText(requestBody, responseBytes))
	switch {
	case reqHash != wantReq:
		return fmt.Errorf("%w: request hash differs", ErrTextMismatch)
	case respHash != wantResp:
		return fmt.Errorf("%w: response hash differs", ErrTextMismatch)
	}
	return nil
}

// ReportData returns the 64 bytes a quote must carry for a signing key:
// identity right-padded with zeros to 32 bytes, then the 32-byte nonce.
func ReportData(identity []byte, nonce [32]byte) ([64]byte, error) {
	var rd [64]byte
	if len(identity) == 0 || len(identity) > 32 {
		return rd, fmt.Errorf("%w: signing identity has %d bytes, want 1 to 32", ErrMalformed, len(identity))
	}
	copy(rd[:32], identity)
	copy(rd[32:], nonce[:])
	return rd, nil
}

// Identity decodes a signing_address into the bytes that go into
// report_data: 20 bytes for ECDSA, 32 for Ed25519.
func Identity(algo Algo, address string) ([]byte, error) {
	switch algo {
	case ECDSA:
		return decodeHex("signing address", address, 20)
	case Ed25519:
		return decodeHex("signing address", address, 32)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownAlgo, algo)
}

// ParseNonce decodes a 64-hex-digit nonce (an optional 0x prefix is
// accepted).
func ParseNonce(s string) ([32]byte, error) {
	var n [32]byte
	b, err := decodeHex("nonce", s, 32)
	if err != nil {
		return n, err
	}
	copy(n[:], b)
	return n, nil
}
