package seal

import (
	"encoding/binary"
	"fmt"

	"confidant/enclave/internal/primitive"
)

const (
	formatV1   = 0x01
	headerSize = 1 + 4
	nonceStart = headerSize
	bodyStart  = nonceStart + primitive.NonceSize
	// Overhead is how many bytes sealing adds to a plaintext.
	Overhead = bodyStart + primitive.TagSize
)

const keyIDLabel = "confidant/seal/key-id/v1"

// KeyID returns the 4-byte id that Seal writes for dek. It lets a caller
// holding several data keys pick the one a value needs (see SealedKeyID).
func KeyID(dek []byte) (uint32, error) {
	if len(dek) != primitive.KeySize {
		return 0, ErrInvalidKey
	}
	return binary.BigEndian.Uint32(primitive.HMAC(dek, []byte(keyIDLabel))), nil
}

// SealedKeyID returns the key id in a sealed value's header.
func SealedKeyID(sealed []byte) (uint32, error) {
	if len(sealed) < Overhead {
		return 0, fmt.Errorf("%w: %d bytes is shorter than the %d-byte minimum", ErrCorrupt, len(sealed), Overhead)
	}
	if sealed[0] != formatV1 {
		return 0, fmt.Errorf("%w: %#x", ErrUnsupportedVersion, sealed[0])
	}
	return binary.BigEndian.Uint32(sealed[1:headerSize]), nil
}

// Seal encrypts plaintext under dek for the place aad names, with a fresh
// random nonce.
func Seal(dek []byte, aad AAD, plaintext []byte) ([]byte, error) {
	nonce, err := primitive.RandomNonce()
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return sealWithNonce(dek, aad, plaintext, nonce)
}

func sealWithNonce(dek []byte, aad AAD, plaintext, nonce []byte) ([]byte, error) {
	id, err := KeyID(dek)
	if err != nil {
		return nil, err
	}
	if err := aad.validate(); err != nil {
		return nil, err
	}
	out := make([]byte, headerSize, Overhead+len(plaintext))
	out[0] = formatV1
	binary.BigEndian.PutUint32(out[1:headerSize], id)
	out = append(out, nonce...)
	out, err = primitive.SealGCM(out, dek, nonce, plaintext, aad.encode(out[:headerSize]))
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return out, nil
}

// Open authenticates and decrypts a value sealed for the place aad names.
// It never returns partial plaintext: on any error the result is nil.
func Open(dek []byte, aad AAD, sealed []byte) ([]byte, error) {
	want, err := KeyID(dek)
	if err != nil {
		return nil, err
	}
	if err := aad.validate(); err != nil {
		return nil, err
	}
	got, err := SealedKeyID(sealed)
	if err != nil {
		return nil, err
	}
	if got != want {
		return nil, ErrWrongKey
	}
	nonce := sealed[nonceStart:bodyStart]
	plain, err := primitive.OpenGCM(nil, dek, nonce, sealed[bodyStart:], aad.encode(sealed[:headerSize]))
	if err != nil {
		return nil, ErrCorrupt
	}
	if plain == nil {
		plain = []byte{}
	}
	return plain, nil
}

// SealString is Seal for text.
func SealString(dek []byte, aad AAD, plaintext string) ([]byte, error) {
	return Seal(dek, aad, []byte(plaintext))
}

// OpenString is Open for text.
func OpenString(dek []byte, aad AAD, sealed []byte) (string, error) {
	b, err := Open(dek, aad, sealed)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
