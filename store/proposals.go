package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// States of an assistant's proposal.
const (
	ProposalPending   = "pending"   // waiting for its owner's click
	ProposalExecuting = "executing" // confirmed, being carried out
	ProposalDone      = "done"      // carried out; Result names what was made
	ProposalFailed    = "failed"    // confirmed but not carried out; Result says why
	ProposalDismissed = "dismissed" // its owner said no
)

// Kinds of proposal.
const (
	ProposalReply = "reply" // a draft reply to a synced message
	ProposalEvent = "event" // a new calendar event
)

// ErrProposalNotPending means a proposal was already confirmed or
// dismissed: a second click does nothing.
var ErrProposalNotPending = errors.New("store: proposal is no longer pending")

// Proposal is something the assistant offered to do in one of the user's
// connected accounts. Payload is what would be drafted or created (JSON,
// written and read by connectors/tools); Result is what happened.
type Proposal struct {
	ID             uuid.UUID
	UserID         uuid.UUID
	ConversationID uuid.UUID
	MessageID      uuid.UUID // the answer that proposed it
	ConnectorID    uuid.UUID
	Kind           string
	Payload        string
	Status         string
	Result         string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

const proposalColumns = `id, user_id, conversation_id, message_id, connector_id, kind, payload_sealed, status, result_sealed, created_at, updated_at`

// CreateProposal stores p as pending under the user's answer p.MessageID;
// its conversation is the message's. Another user's message is ErrNotFound.
func (s *Store) CreateProposal(ctx context.Context, p Proposal) (Proposal, error) {
	k, err := s.keyFor(ctx, p.UserID)
	if err != nil {
		return Proposal{}, fmt.Errorf("create proposal: %w", err)
	}
	payload, err := k.seal("assistant_proposals", "payload", p.ID, p.Payload)
	if err != nil {
		return Proposal{}, fmt.Errorf("create proposal: %w", err)
	}
	p.Status, p.Result, p.UpdatedAt = ProposalPending, "", p.CreatedAt
	err = s.db.QueryRow(ctx, `
		INSERT INTO assistant_proposals (id, user_id, conversation_id, message_id, connector_id, kind, payload_sealed, status, created_at, updated_at)
		SELECT $1, $2, m.conversation_id, m.id, $4, $5, $6, $7, $8, $8 FROM messages m WHERE m.id = $3 AND m.user_id = $2
		RETURNING conversation_id`,
		p.ID, p.UserID, p.MessageID, p.ConnectorID, p.Kind, payload, ProposalPending, p.CreatedAt).Scan(&p.ConversationID)
	if err != nil {
		return Proposal{}, notFound(err, "create proposal")
	}
	return p, nil
}

// Proposal returns one of the user's proposals.
func (s *Store) Proposal(ctx context.Context, userID, id uuid.UUID) (Proposal, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return Proposal{}, fmt.Errorf("proposal: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+proposalColumns+` FROM assistant_proposals WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return Proposal{}, fmt.Errorf("proposal: %w", err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (Proposal, error) { return scanProposal(k, r) })
	if err != nil {
		return Proposal{}, notFound(err, "proposal")
	}
	return p, nil
}

// MessageProposals returns the proposals of each of the user's messages,
// oldest first.
func (s *Store) MessageProposals(ctx context.Context, userID uuid.UUID, messageIDs []uuid.UUID) (map[uuid.UUID][]Proposal, error) {
	if len(messageIDs) == 0 {
		return nil, nil
	}
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("message proposals: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+proposalColumns+` FROM assistant_proposals
		WHERE user_id = $1 AND message_id = ANY($2) ORDER BY created_at, id`, userID, messageIDs)
	if err != nil {
		return nil, fmt.Errorf("message proposals: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Proposal, error) { return scanProposal(k, r) })
	if err != nil {
		return nil, fmt.Errorf("message proposals: %w", err)
	}
	out := make(map[uuid.UUID][]Proposal)
	for _, p := range list {
		out[p.MessageID] = append(out[p.MessageID], p)
	}
	return out, nil
}

// SetProposalStatus moves one of the user's proposals from status from to
// status to, with a result (sealed; "" for none). A proposal not in from
// is ErrProposalNotPending, so of two clicks only one carries it out.
func (s *Store) SetProposalStatus(ctx context.Context, userID, id uuid.UUID, from, to, result string, now time.Time) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("set proposal status: %w", err)
	}
	var sealed []byte
	if result != "" {
		if sealed, err = k.seal("assistant_proposals", "result", id, result); err != nil {
			return fmt.Errorf("set proposal status: %w", err)
		}
	}
	tag, err := s.db.Exec(ctx, `UPDATE assistant_proposals SET status = $4, result_sealed = $5, updated_at = $6
		WHERE id = $1 AND user_id = $2 AND status = $3`, id, userID, from, to, sealed, now)
	if err != nil {
		return fmt.Errorf("set proposal status: %w", err)
	}
	if tag.RowsAffected() == 0 {
		if _, err := s.Proposal(ctx, userID, id); err != nil {
			return fmt.Errorf("set proposal status: %w", err)
		}
		return fmt.Errorf("set proposal status: %w", ErrProposalNotPending)
	}
	return nil
}

func scanProposal(k userKey, r pgx.CollectableRow) (Proposal, error) {
	var p Proposal
	var payload, result []byte
	if err := r.Scan(&p.ID, &p.UserID, &p.ConversationID, &p.MessageID, &p.ConnectorID, &p.Kind, &payload, &p.Status, &result,
		&p.CreatedAt, &p.UpdatedAt); err != nil {
		return p, err
	}
	var err error
	if p.Payload, err = k.open("assistant_proposals", "payload", p.ID, payload); err != nil {
		return p, err
	}
	if result != nil {
		p.Result, err = k.open("assistant_proposals", "result", p.ID, result)
	}
	return p, err
}

// SaveMessageTools records which tools the user's answer used, in order
// (names may repeat), replacing what was recorded before.
func (s *Store) SaveMessageTools(ctx context.Context, userID, messageID uuid.UUID, names []string) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("save message tools: %w", err)
	}
	sealed, err := k.seal("message_tool_uses", "tools", messageID, strings.Join(names, "\n"))
	if err != nil {
		return fmt.Errorf("save message tools: %w", err)
	}
	tag, err := s.db.Exec(ctx, `INSERT INTO message_tool_uses (message_id, user_id, tools_sealed)
		SELECT id, user_id, $3 FROM messages WHERE id = $1 AND user_id = $2
		ON CONFLICT (message_id) DO UPDATE SET tools_sealed = EXCLUDED.tools_sealed`, messageID, userID, sealed)
	if err != nil {
		return fmt.Errorf("save message tools: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("save message tools: %w", ErrNotFound)
	}
	return nil
}

// MessageTools returns, for each of the user's messages that used tools,
// their names in order.
func (s *Store) MessageTools(ctx context.Context, userID uuid.UUID, messageIDs []uuid.UUID) (map[uuid.UUID][]string, error) {
	if len(messageIDs) == 0 {
		return nil, nil
	}
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("message tools: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT message_id, tools_sealed FROM message_tool_uses WHERE user_id = $1 AND message_id = ANY($2)`,
		userID, messageIDs)
	if err != nil {
		return nil, fmt.Errorf("message tools: %w", err)
	}
	out := make(map[uuid.UUID][]string)
	var id uuid.UUID
	var sealed []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &sealed}, func() error {
		text, err := k.open("message_tool_uses", "tools", id, sealed)
		if err != nil {
			return err
		}
		if text != "" {
			out[id] = strings.Split(text, "\n")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("message tools: %w", err)
	}
	return out, nil
}
