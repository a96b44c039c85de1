package evidencetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// NRASBehavior says what FakeNRAS answers next.
type NRASBehavior struct {
	Result       bool   // x-nvidia-overall-att-result
	Nonce        string // eat_nonce to claim ("" = the nonce posted)
	BadSignature bool   // sign with a key the JWKS does not hold (same kid)
	RSA          bool   // sign with RS256 instead of ES384
	Expired      bool   // the token expired an hour ago
	Status       int    // answer with this HTTP status instead (e.g. 503)
}

// FakeNRAS speaks the wire format of NVIDIA's remote attestation service:
// POST /v3/attest/gpu answers [["JWT", overall], {"GPU-0": per-GPU}] with
// tokens signed by keys it publishes at /.well-known/jwks.json. Evidence
// with an empty evidence_list is refused with 400.
type FakeNRAS struct {
	srv *httptest.Server

	mu        sync.Mutex
	b         NRASBehavior
	ecKey     *ecdsa.PrivateKey
	ecKid     string
	rsaKey    *rsa.PrivateKey
	rogue     *ecdsa.PrivateKey
	jwksCalls int
	posts     []map[string]any
}

// NewFakeNRAS starts a fake that signs passing verdicts; it stops when the
// test ends.
func NewFakeNRAS(tb testing.TB) *FakeNRAS {
	tb.Helper()
	f := &FakeNRAS{b: NRASBehavior{Result: true}}
	var err error
	if f.rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		tb.Fatal(err)
	}
	if f.rogue, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader); err != nil {
		tb.Fatal(err)
	}
	f.RotateKey()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/jwks.json", f.jwks)
	mux.HandleFunc("POST /v3/attest/gpu", f.attest)
	f.srv = httptest.NewServer(mux)
	tb.Cleanup(f.srv.Close)
	return f
}

// URL is the base URL to give evidence.NRASConfig.
func (f *FakeNRAS) URL() string { return f.srv.URL }

// Set changes what the next answers say.
func (f *FakeNRAS) Set(b NRASBehavior) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.b = b
}

// RotateKey replaces the ES384 signing key with a new one under a new key
// id, as NVIDIA rotates its keys.
func (f *FakeNRAS) RotateKey() {
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		panic(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ecKey = k
	f.ecKid = fmt.Sprintf("nv-eat-kid-%d", time.Now().UnixNano())
}

// JWKSCalls returns how often the JWKS was fetched.
func (f *FakeNRAS) JWKSCalls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.jwksCalls
}

// Posts returns the evidence payloads posted so far.
func (f *FakeNRAS) Posts() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.posts...)
}

func (f *FakeNRAS) jwks(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jwksCalls++
	b64 := base64.RawURLEncoding
	point, err := f.ecKey.PublicKey.Bytes() // 0x04 ‖ X ‖ Y, 48 bytes each
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	keys := []map[string]string{
		{"kty": "EC", "crv": "P-384", "kid": f.ecKid, "alg": "ES384", "use": "sig",
			"x": b64.EncodeToString(point[1:49]), "y": b64.EncodeToString(point[49:])},
		{"kty": "RSA", "kid": "nv-rsa-1", "alg": "RS256", "use": "sig",
			"n": b64.EncodeToString(f.rsaKey.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(f.rsaKey.E)).Bytes())},
		{"kty": "OKP", "crv": "Ed25519", "kid": "not-used", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"keys": keys})
}

func (f *FakeNRAS) attest(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Nonce        string            `json:"nonce"`
		EvidenceList []json.RawMessage `json:"evidence_list"`
	}
	if err := json.Unmarshal(body, &req); err != nil || len(req.EvidenceList) == 0 {
		http.Error(w, `{"errorCode":400,"message":"invalid evidence"}`, http.StatusBadRequest)
		return
	}
	var posted map[string]any
	json.Unmarshal(body, &posted)
	f.posts = append(f.posts, posted)
	if f.b.Status != 0 {
		http.Error(w, "unavailable", f.b.Status)
		return
	}
	now := time.Now()
	exp := now.Add(time.Hour)
	if f.b.Expired {
		exp = now.Add(-time.Hour)
	}
	nonce := req.Nonce
	if f.b.Nonce != "" {
		nonce = f.b.Nonce
	}
	overall := jwt.MapClaims{
		"iss": "https://nras.attestation.nvidia.com", "iat": now.Unix(), "nbf": now.Unix(), "exp": exp.Unix(),
		"jti": "d0a2c1e4-fake", "eat_nonce": nonce, "x-nvidia-ver": "2.0",
		"x-nvidia-overall-att-result": f.b.Result,
		"submods":                     map[string]any{"GPU-0": []any{"DIGEST", []any{"SHA256", "00"}}},
	}
	gpu := jwt.MapClaims{"iss": overall["iss"], "exp": exp.Unix(), "eat_nonce": nonce, "x-nvidia-gpu-arch-check": true, "measres": "success"}
	a, errA := f.sign(overall)
	g, errG := f.sign(gpu)
	if errA != nil || errG != nil {
		http.Error(w, "signing failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode([]any{[]string{"JWT", a}, map[string]string{"GPU-0": g}})
}

// sign signs claims as the behaviour says; f.mu is held.
func (f *FakeNRAS) sign(c jwt.MapClaims) (string, error) {
	if f.b.RSA {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
		tok.Header["kid"] = "nv-rsa-1"
		return tok.SignedString(f.rsaKey)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES384, c)
	tok.Header["kid"] = f.ecKid
	key := f.ecKey
	if f.b.BadSignature {
		key = f.rogue
	}
	return tok.SignedString(key)
}
