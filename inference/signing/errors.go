package signing

import "errors"

var (
	// ErrUnknownAlgo is returned for a signing algorithm other than ecdsa
	// or ed25519.
	ErrUnknownAlgo = errors.New("signing: unknown signing algorithm")
	// ErrMalformed is returned for a signature, address, key, nonce or
	// signed text that cannot be decoded.
	ErrMalformed = errors.New("signing: malformed input")
	// ErrBadSignature is returned when a signature does not verify.
	ErrBadSignature = errors.New("signing: signature does not verify")
	// ErrAddressMismatch is returned when an ecdsa signature recovers to
	// an address other than the expected signing address.
	ErrAddressMismatch = errors.New("signing: signature is from another address")
	// ErrTextMismatch is returned when a signed text does not hash the
	// request and response bytes it is checked against.
	ErrTextMismatch = errors.New("signing: signed text does not match the exchanged bytes")
)
