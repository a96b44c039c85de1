package auth

import (
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"confidant/store"
)

// account adapts a user and their passkeys to webauthn.User. The WebAuthn
// user handle is the 16 bytes of the user id.
type account struct {
	user     store.User
	passkeys []store.Passkey
}

func (a *account) WebAuthnID() []byte          { return a.user.ID[:] }
func (a *account) WebAuthnName() string        { return a.user.Username }
func (a *account) WebAuthnDisplayName() string { return a.user.DisplayName }

func (a *account) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, len(a.passkeys))
	for i, p := range a.passkeys {
		out[i] = p.Credential
	}
	return out
}

func (a *account) descriptors() []protocol.CredentialDescriptor {
	out := make([]protocol.CredentialDescriptor, len(a.passkeys))
	for i, p := range a.passkeys {
		out[i] = p.Credential.Descriptor()
	}
	return out
}

// passkeyByCredentialID returns the account's passkey with that credential id.
func (a *account) passkeyByCredentialID(id []byte) (store.Passkey, bool) {
	for _, p := range a.passkeys {
		if string(p.Credential.ID) == string(id) {
			return p, true
		}
	}
	return store.Passkey{}, false
}

func userIDFromHandle(handle []byte) (uuid.UUID, bool) {
	id, err := uuid.FromBytes(handle)
	return id, err == nil
}
