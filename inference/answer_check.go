package inference

import (
	"context"
	"errors"
	"strings"
	"time"

	"confidant/enclave/evidence"
	"confidant/inference/signing"
)

// AnswerCheck is the verdict on one answer: which backend wrote it, the
// signature it gave, and how far that can be trusted.
type AnswerCheck struct {
	State            evidence.State
	Reason           string // why it is not green, in words; "" when green
	Backend          string
	SigningAddress   string
	SigningAlgo      string
	Signature        string
	Text             string // the signed text: sha256(request):sha256(response)
	CheckedAt        time.Time
	ReportVerifiedAt time.Time
	// Report is the backend's verdict the signature was checked against.
	Report evidence.Verdict
}

// CheckAnswer fetches the signature of a finished answer from the backend
// that wrote it and checks it against that backend's attested signing
// address. An answer signed by another address makes the backend be
// verified again first (it may have restarted with a new key); the
// answer is then judged against the new verdict. It never returns an
// error: what could not be checked is in the result.
func (a *Attestor) CheckAnswer(ctx context.Context, res Result) (out AnswerCheck) {
	out = AnswerCheck{Backend: res.BaseURL, SigningAlgo: string(a.opt.Algo)}
	defer func() { out.CheckedAt = a.opt.Now() }()
	v, err := a.Verdict(ctx, res.BaseURL)
	if err != nil {
		out.State, out.Reason = evidence.Amber, "the backend's verdict could not be read"
		return out
	}
	sig, err := a.client.Signature(ctx, res.BaseURL, res.ID, res.Model, a.opt.Algo)
	if err != nil {
		out.State, out.Reason = unfetched(err)
		out.note(v)
		return out
	}
	if sig.SigningAddress != "" && !sameAddress(sig.SigningAddress, v.Verdict.SigningAddress) {
		a.opt.Log.Warn("answer signed by another address than the attested one; verifying the backend again",
			"backend", res.BaseURL, "attested", v.Verdict.SigningAddress, "signed_by", sig.SigningAddress)
		if v, err = a.Reverify(ctx, res.BaseURL); err != nil {
			out.State, out.Reason = evidence.Amber, "the backend could not be verified again"
			return out
		}
	}
	out.note(v)
	out.SigningAddress, out.Signature, out.Text = sig.SigningAddress, sig.Signature, sig.Text
	if sig.SigningAlgo != "" {
		out.SigningAlgo = string(sig.SigningAlgo)
	}
	if err := checkSignature(sig, res, a.opt.Algo, v.Verdict.SigningAddress, a.ecdsa); err != nil {
		out.State, out.Reason = evidence.Red, signatureProblem(err)
		return out
	}
	switch out.State = v.Verdict.State; out.State {
	case evidence.Green:
	case evidence.Red:
		out.Reason = "the signature is valid, but the backend now fails verification: " + v.Reason()
	default:
		out.State = evidence.Amber
		out.Reason = "the signature is valid; the backend's attestation is not fully verified: " + v.Reason()
	}
	return out
}

// note records the backend verdict the answer is judged against.
func (c *AnswerCheck) note(v BackendVerdict) {
	c.Report = v.Verdict
	c.ReportVerifiedAt = v.Verdict.VerifiedAt
}

// unfetched judges a signature that could not be fetched: a backend that
// answers but has no signature is red; one that cannot be reached, amber.
func unfetched(err error) (evidence.State, string) {
	var se *StatusError
	switch {
	case errors.As(err, &se) && se.Status < 500:
		return evidence.Red, "the backend has no signature for this answer"
	case errors.Is(err, ErrProtocol):
		return evidence.Red, "the backend's signature answer is malformed"
	}
	return evidence.Amber, "the backend could not be reached to fetch the signature"
}

// signatureProblem words a failed signature check for a person.
func signatureProblem(err error) string {
	switch {
	case errors.Is(err, signing.ErrTextMismatch):
		return "the signature does not cover this exact question and answer"
	case errors.Is(err, ErrSignature):
		return "the signature does not check out: " + trimPrefixes(err.Error())
	}
	return "the signature could not be checked"
}

// trimPrefixes drops the package prefixes of a wrapped error message.
func trimPrefixes(msg string) string {
	for _, p := range []string{"inference: response signature check failed: ", "signing: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}
