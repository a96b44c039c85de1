package seal

import (
	"crypto/cipher"
	"encoding/binary"
	"fmt"

	"confidant/enclave/internal/primitive"
)

// Key is a data key prepared for sealing many values: its AES-GCM state and
// key id are computed once. It is safe for concurrent use. Seal and Open
// with a Key produce and accept exactly what the package functions do.
type Key struct {
	id   uint32
	aead cipher.AEAD
}

// NewKey prepares dek for repeated use.
func NewKey(dek []byte) (*Key, error) {
	id, err := KeyID(dek)
	if err != nil {
		return nil, err
	}
	aead, err := primitive.NewGCM(dek)
	if err != nil {
		return nil, err
	}
	return &Key{id: id, aead: aead}, nil
}

// Seal encrypts plaintext for the place aad names, with a fresh nonce.
func (k *Key) Seal(aad AAD, plaintext []byte) ([]byte, error) {
	if err := aad.validate(); err != nil {
		return nil, err
	}
	nonce, err := primitive.RandomNonce()
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	out := make([]byte, headerSize, Overhead+len(plaintext))
	out[0] = formatV1
	binary.BigEndian.PutUint32(out[1:headerSize], k.id)
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, plaintext, aad.encode(out[:headerSize])), nil
}

// Open authenticates and decrypts a value sealed for the place aad names.
func (k *Key) Open(aad AAD, sealed []byte) ([]byte, error) {
	if err := aad.validate(); err != nil {
		return nil, err
	}
	got, err := SealedKeyID(sealed)
	if err != nil {
		return nil, err
	}
	if got != k.id {
		return nil, ErrWrongKey
	}
	plain, err := k.aead.Open(nil, sealed[nonceStart:bodyStart], sealed[bodyStart:], aad.encode(sealed[:headerSize]))
	if err != nil {
		return nil, ErrCorrupt
	}
	if plain == nil {
		plain = []byte{}
	}
	return plain, nil
}
