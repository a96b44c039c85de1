package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Transfer states (docs/fork-transfer.md).
const (
	TransferOffered   = "offered"   // destination: waiting for the source's upload
	TransferReceiving = "receiving" // destination: the one upload is arriving
	TransferSending   = "sending"   // source: the bundle is on its way
	TransferDone      = "done"
	TransferFailed    = "failed"
)

// TransferIn is a transfer on the destination: the user asked to bring
// their data from Source.
type TransferIn struct {
	ID            uuid.UUID
	UserID        uuid.UUID
	Source        string // the source's origin, as the user gave it (sealed)
	TokenHash     []byte // sha256 of the one-time upload token
	State         string
	ErrorCode     string
	BytesReceived int64
	Result        string // what was imported, in words (sealed)
	CreatedAt     time.Time
	UpdatedAt     time.Time
	ExpiresAt     time.Time
}

// CreateTransferIn stores a new transfer in the offered state.
func (s *Store) CreateTransferIn(ctx context.Context, t TransferIn) error {
	uk, err := s.keyFor(ctx, t.UserID)
	if err != nil {
		return fmt.Errorf("create transfer: %w", err)
	}
	source, err := uk.seal("transfers_in", "source", t.ID, t.Source)
	if err != nil {
		return fmt.Errorf("create transfer: %w", err)
	}
	_, err = s.db.Exec(ctx, `
		INSERT INTO transfers_in (id, user_id, source_sealed, token_hash, state, created_at, updated_at, expires_at)
		VALUES ($1, $2, $3, $4, 'offered', $5, $5, $6)`,
		t.ID, t.UserID, source, t.TokenHash, t.CreatedAt, t.ExpiresAt)
	if err != nil {
		return fmt.Errorf("create transfer: %w", err)
	}
	return nil
}

// TransferInState is what anyone holding a transfer id may learn: whether
// it still takes an upload.
type TransferInState struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	State     string
	ExpiresAt time.Time
}

// TransferInStatus returns the state and owner of transfer id, for the
// offer, which anyone holding the id may ask for.
func (s *Store) TransferInStatus(ctx context.Context, id uuid.UUID) (TransferInState, error) {
	var t TransferInState
	err := s.db.QueryRow(ctx, `SELECT id, user_id, state, expires_at FROM transfers_in WHERE id = $1`, id).
		Scan(&t.ID, &t.UserID, &t.State, &t.ExpiresAt)
	if err != nil {
		return t, notFound(err, "transfer")
	}
	return t, nil
}

// TransferIn returns the user's transfer id; another user's is not found.
func (s *Store) TransferIn(ctx context.Context, userID, id uuid.UUID) (TransferIn, error) {
	var (
		t              TransferIn
		source, result []byte
	)
	err := s.db.QueryRow(ctx, `
		SELECT id, user_id, source_sealed, token_hash, state, error_code, bytes_received, result_sealed, created_at, updated_at, expires_at
		FROM transfers_in WHERE id = $1 AND user_id = $2`, id, userID).
		Scan(&t.ID, &t.UserID, &source, &t.TokenHash, &t.State, &t.ErrorCode, &t.BytesReceived, &result, &t.CreatedAt, &t.UpdatedAt, &t.ExpiresAt)
	if err != nil {
		return t, notFound(err, "transfer")
	}
	uk, err := s.keyFor(ctx, userID)
	if err != nil {
		return t, fmt.Errorf("transfer: %w", err)
	}
	if t.Source, err = uk.open("transfers_in", "source", t.ID, source); err != nil {
		return t, fmt.Errorf("transfer: %w", err)
	}
	if result != nil {
		if t.Result, err = uk.open("transfers_in", "result", t.ID, result); err != nil {
			return t, fmt.Errorf("transfer: %w", err)
		}
	}
	return t, nil
}

// ClaimTransferIn moves transfer id from offered to receiving when
// tokenHash is its upload token's and it has not expired, and returns its
// owner. Only one claim ever succeeds: a replayed or late upload gets
// ErrNotFound.
func (s *Store) ClaimTransferIn(ctx context.Context, id uuid.UUID, tokenHash []byte, now time.Time) (uuid.UUID, error) {
	var userID uuid.UUID
	err := s.db.QueryRow(ctx, `
		UPDATE transfers_in SET state = 'receiving', updated_at = $3
		WHERE id = $1 AND token_hash = $2 AND state = 'offered' AND expires_at > $3
		RETURNING user_id`, id, tokenHash, now).Scan(&userID)
	if err != nil {
		return uuid.Nil, notFound(err, "claim transfer")
	}
	return userID, nil
}

// FinishTransferIn records how the user's receiving transfer ended: done
// with result (sealed), or failed with errorCode.
func (s *Store) FinishTransferIn(ctx context.Context, userID, id uuid.UUID, state, errorCode, result string, bytes int64, now time.Time) error {
	var sealed []byte
	if result != "" {
		uk, err := s.keyFor(ctx, userID)
		if err != nil {
			return fmt.Errorf("finish transfer: %w", err)
		}
		if sealed, err = uk.seal("transfers_in", "result", id, result); err != nil {
			return fmt.Errorf("finish transfer: %w", err)
		}
	}
	tag, err := s.db.Exec(ctx, `
		UPDATE transfers_in SET state = $3, error_code = $4, result_sealed = $5, bytes_received = $6, updated_at = $7
		WHERE id = $1 AND user_id = $2 AND state = 'receiving'`, id, userID, state, errorCode, sealed, bytes, now)
	if err != nil {
		return fmt.Errorf("finish transfer: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("finish transfer: %w", ErrNotFound)
	}
	return nil
}

// TransferOut is a send on the source: the user confirmed moving their
// data to Destination.
type TransferOut struct {
	ID          uuid.UUID
	UserID      uuid.UUID
	TransferID  uuid.UUID // the destination's transfer id
	Destination string    // the destination's origin (sealed)
	State       string
	ErrorCode   string
	BytesSent   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// CreateTransferOut stores a new send in the sending state.
func (s *Store) CreateTransferOut(ctx context.Context, t TransferOut) error {
	uk, err := s.keyFor(ctx, t.UserID)
	if err != nil {
		return fmt.Errorf("create outbound transfer: %w", err)
	}
	dest, err := uk.seal("transfers_out", "destination", t.ID, t.Destination)
	if err != nil {
		return fmt.Errorf("create outbound transfer: %w", err)
	}
	_, err = s.db.Exec(ctx, `
		INSERT INTO transfers_out (id, user_id, transfer_id, destination_sealed, state, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'sending', $5, $5)`, t.ID, t.UserID, t.TransferID, dest, t.CreatedAt)
	if err != nil {
		return fmt.Errorf("create outbound transfer: %w", err)
	}
	return nil
}

// UpdateTransferOut records the progress or the end of the user's send.
func (s *Store) UpdateTransferOut(ctx context.Context, userID, id uuid.UUID, state, errorCode string, bytes int64, now time.Time) error {
	_, err := s.db.Exec(ctx, `
		UPDATE transfers_out SET state = $3, error_code = $4, bytes_sent = $5, updated_at = $6
		WHERE id = $1 AND user_id = $2`, id, userID, state, errorCode, bytes, now)
	if err != nil {
		return fmt.Errorf("update outbound transfer: %w", err)
	}
	return nil
}

// TransferOut returns the user's send id; another user's is not found.
func (s *Store) TransferOut(ctx context.Context, userID, id uuid.UUID) (TransferOut, error) {
	var (
		t    TransferOut
		dest []byte
	)
	err := s.db.QueryRow(ctx, `
		SELECT id, user_id, transfer_id, destination_sealed, state, error_code, bytes_sent, created_at, updated_at
		FROM transfers_out WHERE id = $1 AND user_id = $2`, id, userID).
		Scan(&t.ID, &t.UserID, &t.TransferID, &dest, &t.State, &t.ErrorCode, &t.BytesSent, &t.CreatedAt, &t.UpdatedAt)
	if err != nil {
		return t, notFound(err, "outbound transfer")
	}
	uk, err := s.keyFor(ctx, userID)
	if err != nil {
		return t, fmt.Errorf("outbound transfer: %w", err)
	}
	if t.Destination, err = uk.open("transfers_out", "destination", t.ID, dest); err != nil {
		return t, fmt.Errorf("outbound transfer: %w", err)
	}
	return t, nil
}
