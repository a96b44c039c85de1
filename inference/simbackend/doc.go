// Package simbackend is a simulated OpenAI-compatible inference backend for
// development and tests: chat completions (streaming or not), embeddings,
// and the attestation report and per-response signatures of the
// private-inference convention, all deterministic and marked as simulated.
//
// Text is derived from the prompt, so the same request gives the same
// answer. The last user message may carry directives that steer one
// request:
//
//	[[sim:delay=20ms]]                 pause before each token
//	[[sim:tokens=200]]                 answer with 200 tokens
//	[[sim:fail-after=5]]               stream 5 tokens, then drop the connection
//	                                   (non-streaming: HTTP 500)
//	[[sim:tool=NAME {"json":"args"}]]  answer with a call of tool NAME
//
// A message asking to "say X" or "repeat: X" is answered with X. A request
// whose last messages are tool results is answered with a summary quoting
// their key fields (summaries and times, subjects, free slots, proposals),
// whatever the last user message asks.
//
// Its quotes are not TDX quotes: they start with enclave.SimulatedQuoteMagic
// and can never verify as hardware evidence.
package simbackend
