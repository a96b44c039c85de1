package enclave

import (
	"errors"
	"fmt"
)

var (
	// ErrTEERequired is returned by Select when a real TEE is required but
	// only the simulated enclave is available or was asked for.
	ErrTEERequired = errors.New("enclave: a hardware TEE is required but not available")
	// ErrInvalidMode is returned by Select for a mode other than auto,
	// dstack or simulated.
	ErrInvalidMode = errors.New("enclave: invalid enclave mode")
	// ErrNoDstack is returned when no dstack guest agent answers.
	ErrNoDstack = errors.New("enclave: no dstack guest agent found")
	// ErrUnavailable is returned when the guest agent cannot be reached.
	ErrUnavailable = errors.New("enclave: guest agent unreachable")
	// ErrAgent is matched by every *AgentError: the guest agent answered
	// with an error status.
	ErrAgent = errors.New("enclave: guest agent returned an error")
	// ErrBadResponse is returned when the guest agent's answer is malformed.
	ErrBadResponse = errors.New("enclave: malformed guest agent response")
	// ErrInvalidPath is returned by DeriveKey for an empty key path.
	ErrInvalidPath = errors.New("enclave: key path must not be empty")
	// ErrKeyFile is returned when the simulated root key file is unusable
	// (wrong size, readable by group or others, not a regular file).
	ErrKeyFile = errors.New("enclave: unusable simulated root key file")
	// ErrNotSimulatedQuote is returned when bytes are not a simulated quote.
	ErrNotSimulatedQuote = errors.New("enclave: not a simulated quote")
	// ErrQuoteMAC is returned when a simulated quote was not made by this
	// simulated enclave or was altered.
	ErrQuoteMAC = errors.New("enclave: simulated quote does not verify")
)

// AgentError is an error status from the dstack guest agent, with the
// message from its {"error": "..."} body. errors.Is(err, ErrAgent) holds.
type AgentError struct {
	Method  string // RPC method, such as "GetQuote"
	Status  int    // HTTP status code
	Message string // the agent's error text, truncated
}

// Error implements error.
func (e *AgentError) Error() string {
	return fmt.Sprintf("enclave: dstack %s: HTTP %d: %s", e.Method, e.Status, e.Message)
}

// Is reports whether target is ErrAgent.
func (e *AgentError) Is(target error) bool {
	return target == ErrAgent
}
