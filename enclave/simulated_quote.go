package enclave

import (
	"bytes"
	"fmt"

	"confidant/enclave/internal/primitive"
)

// SimulatedQuoteMagic starts every simulated quote. Read as a TDX quote
// header, its first bytes give version 0x4f43, attestation key type 0x464e
// and TEE type 0x4e414449 (little-endian), none of which a real quote has
// (version 4 or 5, key type 2, TEE type 0x81), so no TDX parser accepts it.
const SimulatedQuoteMagic = "CONFIDANT-SIMULATED-QUOTE-v1"

// SimulatedQuoteSize is the size of a simulated quote: magic, 64 bytes of
// report data and a 32-byte HMAC-SHA256 under a key only this simulated
// enclave holds.
const SimulatedQuoteSize = len(SimulatedQuoteMagic) + 64 + 32

// IsSimulatedQuote reports whether raw starts with SimulatedQuoteMagic.
func IsSimulatedQuote(raw []byte) bool {
	return bytes.HasPrefix(raw, []byte(SimulatedQuoteMagic))
}

// ParseSimulatedQuote returns the report data of a simulated quote. It does
// not check the MAC; only the simulated enclave that made it can
// (Simulated.VerifyQuote). The answer is never evidence of anything.
func ParseSimulatedQuote(raw []byte) ([64]byte, error) {
	var rd [64]byte
	if !IsSimulatedQuote(raw) || len(raw) != SimulatedQuoteSize {
		return rd, ErrNotSimulatedQuote
	}
	copy(rd[:], raw[len(SimulatedQuoteMagic):])
	return rd, nil
}

// simulatedQuote builds a quote over reportData with macKey.
func simulatedQuote(macKey []byte, reportData [64]byte) []byte {
	out := make([]byte, 0, SimulatedQuoteSize)
	out = append(out, SimulatedQuoteMagic...)
	out = append(out, reportData[:]...)
	return append(out, primitive.HMAC(macKey, out)...)
}

// verifySimulatedQuote checks raw's MAC and that it covers reportData.
func verifySimulatedQuote(macKey, raw []byte, reportData [64]byte) error {
	rd, err := ParseSimulatedQuote(raw)
	if err != nil {
		return err
	}
	body := raw[:len(raw)-32]
	if !primitive.Equal(primitive.HMAC(macKey, body), raw[len(body):]) {
		return ErrQuoteMAC
	}
	if rd != reportData {
		return fmt.Errorf("%w: report data differs", ErrQuoteMAC)
	}
	return nil
}
