package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// AnswerVerification is the verdict on one answer, stored sealed with it:
// the backend that wrote it, the signature it gave and the outcome of
// checking that signature against the backend's attested signing address.
type AnswerVerification struct {
	State            string            `json:"state"` // green | amber | red
	Reason           string            `json:"reason,omitempty"`
	Backend          string            `json:"backend,omitempty"`
	SigningAddress   string            `json:"signing_address,omitempty"`
	SigningAlgo      string            `json:"signing_algo,omitempty"`
	Signature        string            `json:"signature,omitempty"`
	Text             string            `json:"text,omitempty"` // sha256(request):sha256(response)
	CheckedAt        time.Time         `json:"checked_at"`
	ReportVerifiedAt time.Time         `json:"report_verified_at"`
	ReportState      string            `json:"report_state,omitempty"`
	ReportChecks     []ReportCheck     `json:"report_checks,omitempty"`
	ReportFacts      map[string]string `json:"report_facts,omitempty"`
	Simulated        bool              `json:"simulated,omitempty"`
}

// ReportCheck is one check of the backend's attestation verdict.
type ReportCheck struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// Verification states.
const (
	VerificationGreen = "green"
	VerificationAmber = "amber"
	VerificationRed   = "red"
)

// SaveAnswerVerification stores the verdict on one of the user's answers,
// replacing any earlier one.
func (s *Store) SaveAnswerVerification(ctx context.Context, userID, messageID uuid.UUID, v AnswerVerification) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("save answer verification: %w", err)
	}
	sealed, err := sealVerification(k, messageID, v)
	if err != nil {
		return fmt.Errorf("save answer verification: %w", err)
	}
	// A verdict can be checked again; it does not wait for the disk.
	tag, err := s.execNoWait(ctx, messageID, `UPDATE messages SET verification_sealed = $3 WHERE id = $1 AND user_id = $2`, messageID, userID, sealed)
	if err != nil {
		return fmt.Errorf("save answer verification: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("save answer verification: %w", ErrNotFound)
	}
	return nil
}

// sealVerification seals a verdict for the messages row messageID.
func sealVerification(k userKey, messageID uuid.UUID, v AnswerVerification) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return k.seal("messages", "verification", messageID, string(data))
}

// AnswerVerification returns the verdict on one of the user's answers;
// ErrNotFound when the message is not theirs or has no verdict yet.
func (s *Store) AnswerVerification(ctx context.Context, userID, messageID uuid.UUID) (AnswerVerification, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return AnswerVerification{}, fmt.Errorf("answer verification: %w", err)
	}
	var sealed []byte
	err = s.db.QueryRow(ctx, `SELECT verification_sealed FROM messages WHERE id = $1 AND user_id = $2 AND verification_sealed IS NOT NULL`,
		messageID, userID).Scan(&sealed)
	if err != nil {
		return AnswerVerification{}, notFound(err, "answer verification")
	}
	return openVerification(k, messageID, sealed)
}

// AnswerVerifications returns the verdicts on those of ids that are
// answers of one of the user's conversations and have one, by message id:
// the answers a page shows, not the whole conversation's.
func (s *Store) AnswerVerifications(ctx context.Context, userID, conversationID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]AnswerVerification, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("answer verifications: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT id, verification_sealed FROM messages
		WHERE conversation_id = $1 AND user_id = $2 AND id = ANY($3) AND verification_sealed IS NOT NULL`, conversationID, userID, ids)
	if err != nil {
		return nil, fmt.Errorf("answer verifications: %w", err)
	}
	out := map[uuid.UUID]AnswerVerification{}
	var id uuid.UUID
	var sealed []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &sealed}, func() error {
		v, err := openVerification(k, id, sealed)
		out[id] = v
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("answer verifications: %w", err)
	}
	return out, nil
}

func openVerification(k userKey, messageID uuid.UUID, sealed []byte) (AnswerVerification, error) {
	plain, err := k.open("messages", "verification", messageID, sealed)
	if err != nil {
		return AnswerVerification{}, err
	}
	var v AnswerVerification
	if err := json.Unmarshal([]byte(plain), &v); err != nil {
		return AnswerVerification{}, fmt.Errorf("answer verification: %w", err)
	}
	return v, nil
}
