package inference

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"confidant/inference/signing"
)

// Signature fetches the signature of completion id from the backend at
// baseURL (a Result's BaseURL: only the backend that answered has it).
func (c *Client) Signature(ctx context.Context, baseURL, id, model string, algo signing.Algo) (signing.Signature, error) {
	if err := c.known(baseURL); err != nil {
		return signing.Signature{}, err
	}
	q := url.Values{"signing_algo": {string(algo)}}
	if model != "" {
		q.Set("model", model)
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	data, err := c.call(actx, http.MethodGet, baseURL, "/v1/signature/"+url.PathEscape(id)+"?"+q.Encode(), nil)
	if err != nil {
		return signing.Signature{}, err
	}
	var sig signing.Signature
	if err := json.Unmarshal(data, &sig); err != nil {
		return signing.Signature{}, fmt.Errorf("%w: signature is not JSON", ErrProtocol)
	}
	return sig, nil
}

// CheckSignature fetches the signature of res and checks that its text
// hashes exactly res's request and response bytes, that it verifies, and,
// when signer is not empty, that it comes from signer (the signing
// address of a verified attestation report). An empty algo means ECDSA.
func (c *Client) CheckSignature(ctx context.Context, res Result, algo signing.Algo, signer string) (signing.Signature, error) {
	algo, err := signing.ParseAlgo(string(algo))
	if err != nil {
		return signing.Signature{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	sig, err := c.Signature(ctx, res.BaseURL, res.ID, res.Model, algo)
	if err != nil {
		return sig, err
	}
	return sig, checkSignature(sig, res, algo, signer, nil)
}

// checkSignature checks a fetched signature of res as CheckSignature does.
// ECDSA signatures go through ecdsa when it is not nil (the same check,
// cheaper for a key seen before).
func checkSignature(sig signing.Signature, res Result, algo signing.Algo, signer string, ecdsa *signing.ECDSAVerifier) error {
	if err := signing.MatchText(sig.Text, res.RequestBody, res.ResponseBytes); err != nil {
		return fmt.Errorf("%w: %w", ErrSignature, err)
	}
	if sig.SigningAlgo != algo {
		return fmt.Errorf("%w: signed with %q, asked for %q", ErrSignature, sig.SigningAlgo, algo)
	}
	if signer != "" && !sameAddress(sig.SigningAddress, signer) {
		return fmt.Errorf("%w: signed by %s, want %s", ErrSignature, sig.SigningAddress, signer)
	}
	verify := sig.Verify
	if ecdsa != nil && sig.SigningAlgo == signing.ECDSA {
		verify = func() error { return ecdsa.Verify(sig.Text, sig.Signature, sig.SigningAddress) }
	}
	if err := verify(); err != nil {
		return fmt.Errorf("%w: %w", ErrSignature, err)
	}
	return nil
}

// Report fetches the attestation report of the backend at baseURL for
// nonce, and returns it parsed and as the exact bytes received (to keep as
// evidence). It checks only that the report echoes the nonce; verifying
// the quote is the caller's job.
func (c *Client) Report(ctx context.Context, baseURL string, nonce [32]byte, algo signing.Algo, model string) (signing.Report, []byte, error) {
	if err := c.known(baseURL); err != nil {
		return signing.Report{}, nil, err
	}
	q := url.Values{"nonce": {hex.EncodeToString(nonce[:])}, "signing_algo": {string(algo)}}
	if model != "" {
		q.Set("model", model)
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	data, err := c.call(actx, http.MethodGet, baseURL, "/v1/attestation/report?"+q.Encode(), nil)
	if err != nil {
		return signing.Report{}, nil, err
	}
	var r signing.Report
	if err := json.Unmarshal(data, &r); err != nil {
		return signing.Report{}, nil, fmt.Errorf("%w: attestation report is not JSON", ErrProtocol)
	}
	if got, err := signing.ParseNonce(r.RequestNonce); err != nil || got != nonce {
		return r, data, fmt.Errorf("%w: report does not echo our nonce", ErrProtocol)
	}
	return r, data, nil
}

// known checks that baseURL is one of the client's backends, so the API
// key is never sent elsewhere.
func (c *Client) known(baseURL string) error {
	if !slices.Contains(c.urls, baseURL) {
		return fmt.Errorf("%w: %q is not a configured backend", ErrConfig, baseURL)
	}
	return nil
}

// sameAddress compares signing addresses, ignoring 0x and letter case.
func sameAddress(a, b string) bool {
	trim := func(s string) string { return strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")) }
	return trim(a) == trim(b)
}
