package enclave

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/google/go-tdx-guest/abi"
)

func TestSimulatedQuoteNeverParsesAsTDX(t *testing.T) {
	// Control: the real quote parses, so a rejection below means something.
	if _, err := abi.QuoteToProto(realQuote()); err != nil {
		t.Fatalf("real quote does not parse: %v", err)
	}
	s := newTestSimulated(t, t.TempDir())
	var rd [64]byte
	copy(rd[:], "nonce")
	q, err := s.Quote(context.Background(), rd)
	if err != nil {
		t.Fatal(err)
	}
	// The header fields a TDX parser reads first can never be a real quote's.
	version := binary.LittleEndian.Uint16(q.Raw[0:2])
	akType := binary.LittleEndian.Uint16(q.Raw[2:4])
	teeType := binary.LittleEndian.Uint32(q.Raw[4:8])
	if version == 4 || version == 5 || akType == abi.AttestationKeyType || teeType == abi.TeeTDX {
		t.Fatalf("magic collides: version %d, key type %d, tee type %#x", version, akType, teeType)
	}
	inputs := map[string][]byte{
		"quote": q.Raw,
		// Padded to a real quote's size, in case a parser checks size first.
		"padded": append(bytes.Clone(q.Raw), make([]byte, len(realQuote()))...),
	}
	for name, raw := range inputs {
		if _, err := abi.QuoteToProto(raw); err == nil {
			t.Fatalf("%s: go-tdx-guest accepted a simulated quote", name)
		}
	}
}

func TestSimulatedQuoteVerify(t *testing.T) {
	s := newTestSimulated(t, t.TempDir())
	other := newTestSimulated(t, t.TempDir())
	var rd [64]byte
	copy(rd[:], "report data")
	q, err := s.Quote(context.Background(), rd)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Raw) != SimulatedQuoteSize || !IsSimulatedQuote(q.Raw) {
		t.Fatalf("quote is %d bytes", len(q.Raw))
	}
	got, err := ParseSimulatedQuote(q.Raw)
	if err != nil || got != rd {
		t.Fatalf("ParseSimulatedQuote = %x, %v", got, err)
	}
	flipped := bytes.Clone(q.Raw)
	flipped[len(SimulatedQuoteMagic)] ^= 1
	var otherRD [64]byte
	tests := []struct {
		name    string
		v       *Simulated
		raw     []byte
		rd      [64]byte
		wantErr error
	}{
		{"ok", s, q.Raw, rd, nil},
		{"other simulated enclave", other, q.Raw, rd, ErrQuoteMAC},
		{"report data altered", s, flipped, rd, ErrQuoteMAC},
		{"different report data", s, q.Raw, otherRD, ErrQuoteMAC},
		{"truncated", s, q.Raw[:len(q.Raw)-1], rd, ErrNotSimulatedQuote},
		{"real quote", s, realQuote(), rd, ErrNotSimulatedQuote},
		{"empty", s, nil, rd, ErrNotSimulatedQuote},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.v.VerifyQuote(tt.raw, tt.rd); !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if IsSimulatedQuote(realQuote()) {
		t.Fatal("real quote looks simulated")
	}
}
