package evidence

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fakeNRAS speaks NVIDIA's remote attestation service wire format: POST
// /v3/attest/gpu answers [["JWT", overall], {"GPU-0": per-GPU}] with
// tokens signed by a key it publishes at /.well-known/jwks.json.
type fakeNRAS struct {
	srv       *httptest.Server
	ecKey     *ecdsa.PrivateKey
	rsaKey    *rsa.PrivateKey
	jwksCalls atomic.Int32
	posts     atomic.Int32

	mu sync.Mutex
	// What the next verdicts say.
	result    bool
	nonce     string            // eat_nonce override ("" = the posted nonce)
	signer    *ecdsa.PrivateKey // signs instead of ecKey (a bad signature)
	useRSA    bool
	expired   bool
	status    int // non-200 answer
	lastPosts []map[string]any
}

func newFakeNRAS(t *testing.T) *fakeNRAS {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeNRAS{ecKey: ec, rsaKey: rk, result: true}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/jwks.json", f.jwks)
	mux.HandleFunc("POST /v3/attest/gpu", f.attest)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeNRAS) set(change func(f *fakeNRAS)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeNRAS) jwks(w http.ResponseWriter, _ *http.Request) {
	f.jwksCalls.Add(1)
	b64 := base64.RawURLEncoding
	pad := func(b []byte) []byte { out := make([]byte, 48); copy(out[48-len(b):], b); return out }
	ecBytes, _ := f.ecKey.PublicKey.Bytes() // 0x04 ‖ X ‖ Y
	keys := []map[string]string{
		{"kty": "EC", "crv": "P-384", "kid": "nv-eat-kid-prod-1", "alg": "ES384", "use": "sig",
			"x": b64.EncodeToString(pad(ecBytes[1:49])), "y": b64.EncodeToString(pad(ecBytes[49:]))},
		{"kty": "RSA", "kid": "nv-rsa-1", "alg": "RS256", "use": "sig",
			"n": b64.EncodeToString(f.rsaKey.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(f.rsaKey.E)).Bytes())},
		{"kty": "OKP", "crv": "Ed25519", "kid": "ignored", "x": "AAAA"},
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"keys": keys})
}

func (f *fakeNRAS) attest(w http.ResponseWriter, r *http.Request) {
	f.posts.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Nonce        string            `json:"nonce"`
		EvidenceList []json.RawMessage `json:"evidence_list"`
		Arch         string            `json:"arch"`
	}
	if err := json.Unmarshal(body, &req); err != nil || len(req.EvidenceList) == 0 {
		http.Error(w, `{"errorCode":400,"message":"invalid evidence"}`, http.StatusBadRequest)
		return
	}
	var generic map[string]any
	json.Unmarshal(body, &generic)
	f.lastPosts = append(f.lastPosts, generic)
	if f.status != 0 {
		http.Error(w, "unavailable", f.status)
		return
	}
	now := time.Now()
	exp := now.Add(time.Hour)
	if f.expired {
		exp = now.Add(-time.Hour)
	}
	nonce := req.Nonce
	if f.nonce != "" {
		nonce = f.nonce
	}
	claims := jwt.MapClaims{
		"iss": "https://nras.attestation.nvidia.com", "iat": now.Unix(), "nbf": now.Unix(), "exp": exp.Unix(),
		"jti": "d0a2c1e4", "eat_nonce": nonce, "x-nvidia-ver": "2.0",
		"x-nvidia-overall-att-result": f.result,
		"submods":                     map[string]any{"GPU-0": []any{"DIGEST", []any{"SHA256", "00"}}},
	}
	sign := func(c jwt.MapClaims) string {
		var tok *jwt.Token
		var key any
		if f.useRSA {
			tok, key = jwt.NewWithClaims(jwt.SigningMethodRS256, c), f.rsaKey
			tok.Header["kid"] = "nv-rsa-1"
		} else {
			tok, key = jwt.NewWithClaims(jwt.SigningMethodES384, c), f.ecKey
			if f.signer != nil {
				key = f.signer
			}
			tok.Header["kid"] = "nv-eat-kid-prod-1"
		}
		s, err := tok.SignedString(key)
		if err != nil {
			panic(err)
		}
		return s
	}
	gpu := jwt.MapClaims{"iss": claims["iss"], "exp": exp.Unix(), "eat_nonce": nonce, "x-nvidia-gpu-arch-check": true, "measres": "success"}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode([]any{[]string{"JWT", sign(claims)}, map[string]string{"GPU-0": sign(gpu)}})
}
