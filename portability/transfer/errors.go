package transfer

import "errors"

// Sentinel errors; each is worded for the person who sees it.
var (
	ErrBadKey          = errors.New("the destination's transfer key is not a valid X25519 key")
	ErrTampered        = errors.New("the transfer stream does not authenticate: tampered, reordered, replayed or sealed to another key")
	ErrTruncated       = errors.New("the transfer stream ended before its final chunk")
	ErrMalformed       = errors.New("the transfer stream is malformed")
	ErrTooLarge        = errors.New("the transfer is larger than this server accepts")
	ErrBindingMismatch = errors.New("the destination's attestation does not bind this transfer's key, id and origin")
	ErrNotVerified     = errors.New("the destination's attestation did not verify")
	ErrSimulatedPeer   = errors.New("the destination runs in a simulated enclave")
	ErrNotFound        = errors.New("no such transfer, or it is no longer waiting")
	ErrExpired         = errors.New("the transfer has expired; start again from the destination")
	ErrBadOrigin       = errors.New("not an http(s) origin")
	ErrSameOrigin      = errors.New("the source and the destination are the same server")
	ErrPlainOrigin     = errors.New("use an https:// address: a transfer's one-time token must not travel in plain text")
	ErrBlockedAddress  = errors.New("that address is on a private, loopback or link-local network")
	ErrKeyChanged      = errors.New("the destination's key changed since you reviewed it; start again")
	ErrOffer           = errors.New("the destination's offer could not be fetched")
)
