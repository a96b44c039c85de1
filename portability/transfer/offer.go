package transfer

import (
	"context"
	"crypto/hpke"
	"encoding/hex"
	"fmt"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"confidant/enclave/evidence"
	"confidant/inference/signing"
)

// Offer is the destination's answer to GET /v1/transfer/{id}/offer: the
// transfer's HPKE public key and the destination's attestation report,
// whose report_data binds Binding(key, id, origin) and the caller's nonce.
type Offer struct {
	TransferID uuid.UUID `json:"transfer_id"`
	Origin     string    `json:"origin"`
	PublicKey  string    `json:"public_key"` // hex, RFC 9180 SerializePublicKey
	KEM        string    `json:"kem"`
	KDF        string    `json:"kdf"`
	AEAD       string    `json:"aead"`
	ExpiresAt  time.Time `json:"expires_at"`
	// Account is the username the data goes to on the destination, so
	// the person confirming sees whose account receives it.
	Account string `json:"account"`
	// AllowSimulated says whether the destination accepts transfers
	// between simulated enclaves (CONFIDANT_TRANSFER_ALLOW_SIMULATED=1).
	AllowSimulated bool           `json:"allow_simulated"`
	Report         signing.Report `json:"report"`
}

// Policy is what the source accepts.
type Policy struct {
	// AllowSimulated accepts a simulated destination (with a loud notice)
	// when the destination's offer allows simulated peers too.
	AllowSimulated bool
}

// Verification is the source's judgement of an offer, for the person to
// confirm.
type Verification struct {
	TransferID uuid.UUID
	Origin     string
	Account    string // the destination account's username
	PublicKey  []byte
	// Simulated: the destination is a simulated enclave, accepted only
	// because both sides allow it; the page must say so loudly.
	Simulated bool
	Verdict   evidence.Verdict
	// Facts are the destination's measurements, compose hash, images…,
	// sorted by name, for the page.
	Facts []Fact
}

// Fact is one named value of the destination's evidence.
type Fact struct{ Name, Value string }

// Notice is the warning a simulated transfer carries.
const Notice = "The destination is a SIMULATED enclave: nothing protects your data there from whoever runs that machine. This is for development only; it is allowed because both servers set CONFIDANT_TRANSFER_ALLOW_SIMULATED=1."

// VerifyOffer checks o for transfer id at origin, answered to nonce, with
// v (the same verifier code as `confidant verify`, configured with the
// transfer allowlist). Every check of the report must pass — an allowlist
// only when one is configured — and the report must bind the offer's key,
// id and origin. A simulated destination is accepted only when policy
// and the offer both allow simulated peers.
func VerifyOffer(ctx context.Context, v *evidence.Verifier, o Offer, id uuid.UUID, origin string, nonce [32]byte, policy Policy) (Verification, error) {
	out := Verification{TransferID: id, Origin: origin}
	if o.TransferID != id || o.Origin != origin {
		return out, fmt.Errorf("%w: the offer is for transfer %s at %s", ErrBindingMismatch, o.TransferID, o.Origin)
	}
	if o.KEM != SuiteKEM || o.KDF != SuiteKDF || o.AEAD != SuiteAEAD {
		return out, fmt.Errorf("%w: unsupported HPKE suite %s / %s / %s", ErrBadKey, o.KEM, o.KDF, o.AEAD)
	}
	pub, err := hex.DecodeString(o.PublicKey)
	if err != nil {
		return out, fmt.Errorf("%w: not hex", ErrBadKey)
	}
	if _, err := ParsePublicKey(pub); err != nil {
		return out, err
	}
	out.PublicKey, out.Account = pub, o.Account
	want := Binding(pub, id, origin)
	if o.Report.SigningAlgo != signing.Ed25519 || !strings.EqualFold(strings.TrimPrefix(o.Report.SigningAddress, "0x"), hex.EncodeToString(want[:])) {
		return out, ErrBindingMismatch
	}
	g := v.VerifyGateway(ctx, evidence.GatewayAnswer{Gateway: o.Report}, nonce)
	out.Verdict = g.Gateway
	out.Simulated = out.Verdict.Simulated
	out.Facts = facts(out.Verdict.Facts)
	if c, failed := out.Verdict.Failed(); failed {
		return out, fmt.Errorf("%w: %s: %s", ErrNotVerified, c.Name, c.Detail)
	}
	if out.Simulated {
		if !policy.AllowSimulated || !o.AllowSimulated {
			return out, simulatedRefusal(policy.AllowSimulated, o.AllowSimulated)
		}
		return out, nil
	}
	for _, c := range out.Verdict.Checks {
		if c.Status == evidence.Skipped && !(c.Name == "allowlist" && c.Detail == "no allowlist configured") {
			return out, fmt.Errorf("%w: %s could not be checked: %s", ErrNotVerified, c.Name, c.Detail)
		}
	}
	return out, nil
}

// simulatedRefusal says which side refused a simulated destination.
func simulatedRefusal(here, there bool) error {
	switch {
	case !here && !there:
		return fmt.Errorf("%w: neither server allows simulated peers (CONFIDANT_TRANSFER_ALLOW_SIMULATED=1 on both, for development only)", ErrSimulatedPeer)
	case !here:
		return fmt.Errorf("%w: this server does not allow simulated peers (set CONFIDANT_TRANSFER_ALLOW_SIMULATED=1 here, for development only)", ErrSimulatedPeer)
	default:
		return fmt.Errorf("%w: the destination does not allow simulated peers (it needs CONFIDANT_TRANSFER_ALLOW_SIMULATED=1, for development only)", ErrSimulatedPeer)
	}
}

// facts returns the evidence facts sorted by name.
func facts(m map[string]string) []Fact {
	out := make([]Fact, 0, len(m))
	for k, v := range m {
		out = append(out, Fact{Name: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ParseOrigin checks that raw is an http(s) URL and returns its origin
// (scheme://host[:port], lower-case), which is what a transfer is bound to.
func ParseOrigin(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", ErrBadOrigin
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// checkScheme refuses a plain-text peer: the upload token and the link
// that carries it would travel readable. Loopback (tests, one machine) and
// a simulated enclave (development) may use http.
func (s *Service) checkScheme(origin string) error {
	if strings.HasPrefix(origin, "https://") || s.cfg.Simulated {
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil {
		return ErrBadOrigin
	}
	if h := u.Hostname(); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return nil
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil && ip.IsLoopback() {
		return nil
	}
	return ErrPlainOrigin
}

// publicKeyOf returns the serialized public key of k.
func publicKeyOf(k hpke.PrivateKey) []byte { return k.PublicKey().Bytes() }
