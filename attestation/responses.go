package attestation

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"confidant/inference/signing"
)

// TextStore keeps the signed text of each API response, per user. The
// text holds hashes of the request and response, so it is sealed.
type TextStore interface {
	SaveSignedText(ctx context.Context, userID, messageID uuid.UUID, text string, now time.Time) error
	SignedText(ctx context.Context, userID, messageID uuid.UUID) (string, error)
}

// Responses signs the app's own API responses.
type Responses struct {
	store   TextStore
	signers *Signers
	now     func() time.Time
}

// NewResponses returns a Responses over store; now may be nil.
func NewResponses(store TextStore, signers *Signers, now func() time.Time) *Responses {
	if now == nil {
		now = time.Now
	}
	return &Responses{store: store, signers: signers, now: now}
}

// Record keeps the signed text of the response to a completion (see
// ResponseHasher.Text).
func (r *Responses) Record(ctx context.Context, userID, messageID uuid.UUID, text string) error {
	if err := r.store.SaveSignedText(ctx, userID, messageID, text, r.now()); err != nil {
		return fmt.Errorf("record response signature: %w", err)
	}
	return nil
}

// Sign returns the signature of the user's completion messageID under algo.
func (r *Responses) Sign(ctx context.Context, userID, messageID uuid.UUID, algo signing.Algo) (signing.Signature, error) {
	text, err := r.store.SignedText(ctx, userID, messageID)
	if err != nil {
		return signing.Signature{}, err
	}
	signer := r.signers.For(algo)
	sig, err := signer.Sign(text)
	if err != nil {
		return signing.Signature{}, fmt.Errorf("sign response: %w", err)
	}
	return signing.Signature{Text: text, Signature: sig, SigningAddress: signer.Address(), SigningAlgo: signer.Algo()}, nil
}
