// Package softauthn is a software WebAuthn authenticator for tests: it
// answers the options Confidant's server sends with real registration and
// assertion responses (ES256, "none" attestation), and can be told to lie
// about its origin or relying party so tests can check those are refused.
package softauthn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Credential is one key pair the authenticator holds.
type Credential struct {
	ID         []byte
	UserHandle []byte
	RPID       string
	Key        *ecdsa.PrivateKey
	SignCount  uint32
}

// Authenticator holds credentials and signs with them.
type Authenticator struct {
	Origin      string // the origin written into clientDataJSON
	Credentials []*Credential
	// BackupEligible sets the BE and BS flags, like a synced passkey.
	BackupEligible bool
	// OverrideRPID, when set, is hashed into authenticator data instead of
	// the relying party the options name.
	OverrideRPID string
}

// New returns an authenticator that claims to run at origin.
func New(origin string) *Authenticator { return &Authenticator{Origin: origin} }

var b64 = base64.RawURLEncoding

// creationOptions is the part of PublicKeyCredentialCreationOptions we use.
type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		ExcludeCredentials []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
	} `json:"publicKey"`
}

// ErrExcluded means the authenticator already holds an excluded credential.
var ErrExcluded = errors.New("softauthn: credential excluded")

// Create answers navigator.credentials.create: options is the JSON the
// server sent ({"publicKey": {...}}); it returns the response JSON.
func (a *Authenticator) Create(options []byte) ([]byte, *Credential, error) {
	var opt creationOptions
	if err := json.Unmarshal(options, &opt); err != nil {
		return nil, nil, fmt.Errorf("softauthn: creation options: %w", err)
	}
	for _, ex := range opt.PublicKey.ExcludeCredentials {
		for _, c := range a.Credentials {
			if b64.EncodeToString(c.ID) == ex.ID {
				return nil, nil, ErrExcluded
			}
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	userHandle, err := b64.DecodeString(opt.PublicKey.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("softauthn: user id: %w", err)
	}
	cred := &Credential{ID: randomBytes(16), UserHandle: userHandle, RPID: opt.PublicKey.RP.ID, Key: key}

	clientData := a.clientData("webauthn.create", opt.PublicKey.Challenge)
	authData := a.authData(cred.RPID, 0x40, 0)       // AT: attested credential data follows
	authData = append(authData, make([]byte, 16)...) // AAGUID: zero
	authData = binary.BigEndian.AppendUint16(authData, uint16(len(cred.ID)))
	authData = append(authData, cred.ID...)
	coseKey, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: pad32(key.X.Bytes()), -3: pad32(key.Y.Bytes())})
	if err != nil {
		return nil, nil, err
	}
	authData = append(authData, coseKey...)
	attObj, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": authData})
	if err != nil {
		return nil, nil, err
	}
	resp := map[string]any{
		"id": b64.EncodeToString(cred.ID), "rawId": b64.EncodeToString(cred.ID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData),
			"attestationObject": b64.EncodeToString(attObj),
			"transports":        []string{"internal"},
		},
	}
	out, err := json.Marshal(resp)
	if err != nil {
		return nil, nil, err
	}
	a.Credentials = append(a.Credentials, cred)
	return out, cred, nil
}

// requestOptions is the part of PublicKeyCredentialRequestOptions we use.
type requestOptions struct {
	PublicKey struct {
		Challenge        string `json:"challenge"`
		RPID             string `json:"rpId"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

// ErrNoCredential means no held credential matches the request.
var ErrNoCredential = errors.New("softauthn: no matching credential")

// Get answers navigator.credentials.get with the first matching credential.
func (a *Authenticator) Get(options []byte) ([]byte, error) {
	var opt requestOptions
	if err := json.Unmarshal(options, &opt); err != nil {
		return nil, fmt.Errorf("softauthn: request options: %w", err)
	}
	cred := a.pick(opt)
	if cred == nil {
		return nil, ErrNoCredential
	}
	cred.SignCount++
	clientData := a.clientData("webauthn.get", opt.PublicKey.Challenge)
	authData := a.authData(cred.RPID, 0, cred.SignCount)
	digest := sha256.Sum256(clientData)
	signed := sha256.Sum256(append(append([]byte{}, authData...), digest[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, cred.Key, signed[:])
	if err != nil {
		return nil, err
	}
	resp := map[string]any{
		"id": b64.EncodeToString(cred.ID), "rawId": b64.EncodeToString(cred.ID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData),
			"authenticatorData": b64.EncodeToString(authData),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(cred.UserHandle),
		},
	}
	return json.Marshal(resp)
}

func (a *Authenticator) pick(opt requestOptions) *Credential {
	for i := len(a.Credentials) - 1; i >= 0; i-- {
		c := a.Credentials[i]
		if opt.PublicKey.RPID != "" && c.RPID != opt.PublicKey.RPID {
			continue
		}
		if len(opt.PublicKey.AllowCredentials) == 0 {
			return c
		}
		for _, allowed := range opt.PublicKey.AllowCredentials {
			if allowed.ID == b64.EncodeToString(c.ID) {
				return c
			}
		}
	}
	return nil
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

// authData builds authenticator data: rpIdHash, flags (UP and UV always,
// plus extra and the backup flags), and the signature counter.
func (a *Authenticator) authData(rpID string, extra byte, count uint32) []byte {
	if a.OverrideRPID != "" {
		rpID = a.OverrideRPID
	}
	h := sha256.Sum256([]byte(rpID))
	flags := byte(0x01|0x04) | extra
	if a.BackupEligible {
		flags |= 0x08 | 0x10
	}
	out := append(h[:], flags)
	return binary.BigEndian.AppendUint32(out, count)
}

func pad32(b []byte) []byte {
	out := make([]byte, 32)
	copy(out[32-len(b):], b)
	return out
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
