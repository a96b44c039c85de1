package enclave

import (
	"context"
	"encoding/json"
)

// Kind names a Provider implementation.
type Kind string

const (
	// KindDstack is a dstack guest agent in an Intel TDX confidential VM.
	KindDstack Kind = "dstack"
	// KindSimulated is the development enclave without hardware protection.
	KindSimulated Kind = "simulated"
)

// Info describes the running app as the TEE measured it. Hex fields are
// exactly as dstack reports them. Raw is the whole /Info answer (for the
// simulated enclave, an answer of the same shape), for attestation reports
// that pass it on unchanged.
type Info struct {
	Kind        Kind
	AppID       string
	InstanceID  string
	AppName     string
	DeviceID    string
	ComposeHash string
	MRTD        string
	RTMR0       string
	RTMR1       string
	RTMR2       string
	RTMR3       string
	OSImageHash string
	AppCompose  string
	Raw         json.RawMessage
}

// Quote is attestation evidence over 64 bytes of report data.
type Quote struct {
	Raw      []byte // the quote bytes (a TDX quote, or a simulated quote)
	EventLog string // the event log as JSON text, for RTMR replay
}

// Provider is the TEE: it signs report data into quotes, derives keys bound
// to the app's identity, and describes the app's measurements.
type Provider interface {
	// Kind reports which implementation this is.
	Kind() Kind
	// Quote returns evidence binding reportData to this app instance.
	Quote(ctx context.Context, reportData [64]byte) (Quote, error)
	// DeriveKey returns 32 bytes of key material for path; the same app
	// gets the same key for the same path on every start and replica.
	DeriveKey(ctx context.Context, path string) ([]byte, error)
	// Info returns the app's identity and measurements.
	Info(ctx context.Context) (Info, error)
}
