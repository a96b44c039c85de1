package evidence

import "errors"

var (
	// ErrMalformed is returned for evidence that cannot be parsed: a quote,
	// info object, event log, GPU payload, JWT or allowlist entry.
	ErrMalformed = errors.New("evidence: malformed")
	// ErrMeasurementMismatch is returned when a replayed or hashed value
	// differs from the measurement the evidence claims.
	ErrMeasurementMismatch = errors.New("evidence: measurement mismatch")
	// ErrNRASUnavailable is returned when NVIDIA's remote verifier cannot
	// be asked (no route, timeout, server error): the GPU check is skipped,
	// not failed.
	ErrNRASUnavailable = errors.New("evidence: NVIDIA remote attestation service unavailable")
	// ErrNRASRejected is returned when NVIDIA's verifier refuses the
	// evidence or its signed verdict is not a pass for our nonce.
	ErrNRASRejected = errors.New("evidence: NVIDIA remote attestation failed")
	// ErrNotReport is returned for an answer that is neither a gateway
	// answer nor a single attestation report.
	ErrNotReport = errors.New("evidence: not an attestation report")
)
