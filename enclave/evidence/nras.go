package evidence

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Paths of NVIDIA's remote attestation service (NRAS) under its base URL.
const (
	DefaultNRASURL = "https://nras.attestation.nvidia.com"
	nrasAttestPath = "/v3/attest/gpu"
	nrasJWKSPath   = "/.well-known/jwks.json"
	maxNRASBody    = 1 << 20
)

// NRASConfig configures an NRASClient.
type NRASConfig struct {
	// BaseURL of the service (default DefaultNRASURL).
	BaseURL string
	// HTTPClient makes the calls (default: one with a 30s timeout).
	HTTPClient *http.Client
	// KeyTTL is how long fetched signing keys are trusted before the JWKS
	// is fetched again (default 1h). An unknown key id refetches at once.
	KeyTTL time.Duration
	// Now is the clock for token expiry (default time.Now).
	Now func() time.Time
}

// NRASClient asks NVIDIA's remote verifier for a verdict on GPU evidence
// and checks the signed answer against the service's published keys.
type NRASClient struct {
	base string
	http *http.Client
	ttl  time.Duration
	now  func() time.Time

	mu      sync.Mutex
	keys    map[string]crypto.PublicKey // by kid
	fetched time.Time
}

// NewNRASClient returns a client for cfg.
func NewNRASClient(cfg NRASConfig) *NRASClient {
	c := &NRASClient{base: strings.TrimRight(cfg.BaseURL, "/"), http: cfg.HTTPClient, ttl: cfg.KeyTTL, now: cfg.Now}
	if c.base == "" {
		c.base = DefaultNRASURL
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	if c.ttl <= 0 {
		c.ttl = time.Hour
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// NRASVerdict is NVIDIA's signed verdict on GPU evidence.
type NRASVerdict struct {
	Result bool   // x-nvidia-overall-att-result
	Nonce  string // eat_nonce, hex
	Issuer string
	Token  string // the overall JWT, to keep as evidence
}

// Attest posts payload (the report's nvidia_payload JSON: nonce,
// evidence_list, arch) to the service and returns its verdict after
// checking the JWT's signature, expiry, overall result and nonce. Errors
// wrap ErrNRASUnavailable when no verdict could be had, ErrNRASRejected
// when the verdict is not a signed pass for nonce.
func (c *NRASClient) Attest(ctx context.Context, payload []byte, nonce [32]byte) (NRASVerdict, error) {
	body, err := c.post(ctx, payload)
	if err != nil {
		return NRASVerdict{}, err
	}
	token, err := overallToken(body)
	if err != nil {
		return NRASVerdict{}, err
	}
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(token, claims, c.keyFor(ctx),
		jwt.WithValidMethods([]string{"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384"}),
		jwt.WithExpirationRequired(), jwt.WithLeeway(time.Minute), jwt.WithTimeFunc(c.now))
	if err != nil {
		if errors.Is(err, ErrNRASUnavailable) {
			return NRASVerdict{}, err
		}
		return NRASVerdict{}, fmt.Errorf("%w: verdict token: %w", ErrNRASRejected, err)
	}
	v := NRASVerdict{Token: token}
	v.Result, _ = claims["x-nvidia-overall-att-result"].(bool)
	v.Issuer, _ = claims["iss"].(string)
	v.Nonce = tokenNonce(claims["eat_nonce"], nonce)
	if !v.Result {
		return v, fmt.Errorf("%w: NVIDIA's overall attestation result is false", ErrNRASRejected)
	}
	if !strings.EqualFold(v.Nonce, hex.EncodeToString(nonce[:])) {
		return v, fmt.Errorf("%w: the verdict is for nonce %q, not ours", ErrNRASRejected, truncate(v.Nonce, 64))
	}
	return v, nil
}

// post sends the evidence and returns the answer body.
func (c *NRASClient) post(ctx context.Context, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+nrasAttestPath, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNRASUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNRASUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxNRASBody))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the answer: %w", ErrNRASUnavailable, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return body, nil
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnprocessableEntity:
		return nil, fmt.Errorf("%w: the service refused the evidence (HTTP %d)", ErrNRASRejected, resp.StatusCode)
	default:
		return nil, fmt.Errorf("%w: HTTP %d", ErrNRASUnavailable, resp.StatusCode)
	}
}

// overallToken finds the overall JWT in the service's answer:
// [["JWT", "<token>"], {"GPU-0": "<token>", …}].
func overallToken(body []byte) (string, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(body, &parts); err != nil {
		return "", fmt.Errorf("%w: the answer is not a JSON array", ErrNRASRejected)
	}
	for _, p := range parts {
		var pair []string
		if json.Unmarshal(p, &pair) == nil && len(pair) == 2 && strings.EqualFold(pair[0], "JWT") {
			return pair[1], nil
		}
	}
	return "", fmt.Errorf("%w: the answer carries no overall JWT", ErrNRASRejected)
}

// tokenNonce returns eat_nonce (a string, or a list in which ours may
// appear).
func tokenNonce(claim any, nonce [32]byte) string {
	switch v := claim.(type) {
	case string:
		return v
	case []any:
		want := hex.EncodeToString(nonce[:])
		for _, e := range v {
			if s, ok := e.(string); ok && strings.EqualFold(s, want) {
				return s
			}
		}
	}
	return ""
}

// keyFor returns the jwt key function: the service key named by the
// token's kid, fetching the JWKS when the cache is stale or lacks it.
func (c *NRASClient) keyFor(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		c.mu.Lock()
		defer c.mu.Unlock()
		if k, ok := c.keys[kid]; ok && c.now().Sub(c.fetched) < c.ttl {
			return k, nil
		}
		keys, err := c.fetchKeys(ctx)
		if err != nil {
			return nil, err
		}
		c.keys, c.fetched = keys, c.now()
		if k, ok := keys[kid]; ok {
			return k, nil
		}
		return nil, fmt.Errorf("no signing key %q in the service's JWKS", kid)
	}
}

// fetchKeys downloads and decodes the service's JWKS.
func (c *NRASClient) fetchKeys(ctx context.Context) (map[string]crypto.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+nrasJWKSPath, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNRASUnavailable, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: JWKS: %w", ErrNRASUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: JWKS: HTTP %d", ErrNRASUnavailable, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxNRASBody))
	if err != nil {
		return nil, fmt.Errorf("%w: JWKS: %w", ErrNRASUnavailable, err)
	}
	return ParseJWKS(body)
}

// jwk is one JSON Web Key (EC or RSA public key).
type jwk struct {
	Kid string `json:"kid"`
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// ParseJWKS decodes the EC and RSA public keys of a JWK set by kid; keys
// of other types are ignored.
func ParseJWKS(data []byte) (map[string]crypto.PublicKey, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("%w: JWKS is not JSON", ErrMalformed)
	}
	out := make(map[string]crypto.PublicKey, len(set.Keys))
	for _, k := range set.Keys {
		pub, err := k.publicKey()
		if err != nil {
			return nil, fmt.Errorf("%w: JWKS key %q: %w", ErrMalformed, k.Kid, err)
		}
		if pub != nil {
			out[k.Kid] = pub
		}
	}
	return out, nil
}

// publicKey decodes the key; nil for a key type it does not use.
func (k jwk) publicKey() (crypto.PublicKey, error) {
	b64 := base64.RawURLEncoding
	switch k.Kty {
	case "EC":
		var curve elliptic.Curve
		switch k.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, fmt.Errorf("unsupported curve %q", k.Crv)
		}
		x, errX := b64.DecodeString(k.X)
		y, errY := b64.DecodeString(k.Y)
		size := (curve.Params().BitSize + 7) / 8
		if errX != nil || errY != nil || len(x) != size || len(y) != size {
			return nil, errors.New("bad EC coordinates")
		}
		return ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
	case "RSA":
		n, errN := b64.DecodeString(k.N)
		e, errE := b64.DecodeString(k.E)
		if errN != nil || errE != nil || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad RSA modulus or exponent")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
	}
	return nil, nil
}
