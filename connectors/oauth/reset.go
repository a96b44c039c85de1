package oauth

import (
	"context"

	"confidant/connectors"
)

// ResetSink passes a sync's batches on to Sink and marks the first one
// after Arm with Reset. A Source that lost its incremental state (a
// history id or sync token the provider no longer knows) arms it before
// it lists the whole account again, so what that listing no longer finds
// is deleted when the sync completes.
type ResetSink struct {
	Sink  connectors.Sink
	armed bool
}

// Arm marks the next batch applied as the start of a full listing.
func (r *ResetSink) Arm() { r.armed = true }

// Apply passes b on, with Reset set when armed; a failed Apply stays armed.
func (r *ResetSink) Apply(ctx context.Context, b connectors.Batch) error {
	if r.armed {
		b.Reset = true
	}
	if err := r.Sink.Apply(ctx, b); err != nil {
		return err
	}
	r.armed = false
	return nil
}
