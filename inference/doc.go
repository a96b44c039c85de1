// Package inference is Confidant's client for OpenAI-compatible inference
// backends: streaming and non-streaming chat completions, embeddings and
// model listing over one or more backend URLs, plus the fetches that
// per-response signature checks need.
//
// Retries happen only before the first token: a connection error, a 5xx
// answer or a stream that breaks before anything reached the caller is
// tried again on the next URL (or the same one, once more). Once a delta
// has been delivered, a failure ends the stream with an *InterruptedError
// (errors.Is(err, ErrInterrupted)) that carries the partial text, so no
// answer is silently restarted or duplicated.
//
// Every Result keeps the exact request body and response bytes (for a
// stream, the SSE data payloads concatenated, as the signature convention
// hashes them), so Result.SignedText can be checked against the backend's
// signature. That is why chat requests are sent with net/http and streams
// read by this package's own SSE reader: go-openai marshals the request
// body out of sight, keeps non-streaming response bodies to itself, and
// returns stream payloads trimmed of whitespace. go-openai supplies the
// wire types and the embeddings call.
//
// Simulated backends for development and tests live in the simbackend
// subpackage; signature formats in the signing subpackage.
package inference
