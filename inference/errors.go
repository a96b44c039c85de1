package inference

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

var (
	// ErrInterrupted is matched by *InterruptedError: a stream failed after
	// the caller had received part of the answer.
	ErrInterrupted = errors.New("inference: stream interrupted")
	// ErrUnavailable is returned when every try failed before an answer.
	ErrUnavailable = errors.New("inference: no backend answered")
	// ErrStalled is returned when a stream stays silent longer than the
	// idle timeout.
	ErrStalled = errors.New("inference: backend stalled")
	// ErrProtocol is returned for answers that are not valid
	// OpenAI-compatible responses.
	ErrProtocol = errors.New("inference: malformed backend response")
	// ErrConfig is returned by New for an unusable configuration.
	ErrConfig = errors.New("inference: invalid configuration")
	// ErrSignature is returned when a completion's signature does not
	// match its bytes or signer.
	ErrSignature = errors.New("inference: response signature check failed")
)

// InterruptedError ends a stream that broke after its first delta. Partial
// is the content delivered so far; Err is the cause.
type InterruptedError struct {
	Partial string
	Err     error
}

// Error implements error; it does not include the partial text.
func (e *InterruptedError) Error() string {
	return fmt.Sprintf("inference: stream interrupted after %d bytes of content: %v", len(e.Partial), e.Err)
}

// Is reports whether target is ErrInterrupted.
func (e *InterruptedError) Is(target error) bool { return target == ErrInterrupted }

// Unwrap returns the cause.
func (e *InterruptedError) Unwrap() error { return e.Err }

// StatusError is an error answer from a backend, in OpenAI's shape.
type StatusError struct {
	Status  int // HTTP status (500 for an error event inside a stream)
	Type    string
	Code    string
	Message string // the backend's words: may quote the request, so never logged
}

// Error implements error. It leaves out Message: a backend may echo the
// user's input there, and errors end up in logs and job records.
func (e *StatusError) Error() string {
	return fmt.Sprintf("inference: backend answered %d %s %s", e.Status, e.Type, e.Code)
}

// callbackError carries an error returned by the caller's onDelta.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }
func (e *callbackError) Unwrap() error { return e.err }

// retryable reports whether a try that failed with err, before any delta
// reached the caller, may be repeated.
func retryable(err error) bool {
	var se *StatusError
	var cb *callbackError
	switch {
	case errors.As(err, &se):
		return se.Status >= 500
	case errors.As(err, &cb), errors.Is(err, ErrInterrupted), errors.Is(err, ErrProtocol):
		return false
	}
	return true // connection errors, broken or stalled streams, timeouts
}

// parseError decodes an error body: OpenAI's {"error": {...}} or vLLM's
// flat {"object": "error", ...}.
func parseError(status int, body []byte) *StatusError {
	type fields struct {
		Message string          `json:"message"`
		Type    string          `json:"type"`
		Code    json.RawMessage `json:"code"`
	}
	var wrapped struct {
		Error *fields `json:"error"`
	}
	var flat fields
	f := &flat
	if json.Unmarshal(body, &wrapped) == nil && wrapped.Error != nil {
		f = wrapped.Error
	} else if json.Unmarshal(body, &flat) != nil {
		flat = fields{}
	}
	e := &StatusError{Status: status, Type: f.Type, Message: f.Message}
	var code string
	if json.Unmarshal(f.Code, &code) == nil {
		e.Code = code
	} else if n, err := strconv.Atoi(string(f.Code)); err == nil {
		e.Code = strconv.Itoa(n)
		if status == 0 && n >= 400 && n < 600 {
			e.Status = n
		}
	}
	if e.Message == "" {
		e.Message = "no error message"
	}
	if e.Status == 0 {
		e.Status = 500
	}
	return e
}

// ErrUnverified is matched by *UnverifiedError: every backend failed
// verification, so nothing was sent.
var ErrUnverified = errors.New("inference: no backend passed verification")

// UnverifiedError refuses a request before it is sent: no backend passed
// verification. Reason says why, in words for a person.
type UnverifiedError struct {
	Reason string
}

// Error implements error.
func (e *UnverifiedError) Error() string {
	return "inference: no backend passed verification: " + e.Reason
}

// Is reports whether target is ErrUnverified.
func (e *UnverifiedError) Is(target error) bool { return target == ErrUnverified }
