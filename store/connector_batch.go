package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	pgvector "github.com/pgvector/pgvector-go"

	"confidant/enclave/blindindex"
	"confidant/enclave/keys"
)

// ConnectorBatch is what one step of a sync found, ready to store: the
// caller has turned each item into its JSON form and its raw embedding.
type ConnectorBatch struct {
	Mail    []NewMail
	Events  []NewEvent
	Removed []string // resources gone on the server: every item of each is deleted
	// Reset starts a new generation: the items stored before it that this
	// batch and the later ones do not store again are deleted by
	// SweepConnector once the sync completes.
	Reset bool
	// Cursor is where the next sync resumes; nil keeps the stored one.
	Cursor        []byte
	ProgressDone  int
	ProgressTotal int
}

// ApplyConnectorBatch stores a batch in one transaction: mail upserted by
// resource (its row id kept), every occurrence of each event resource in
// the batch replaced, removed resources deleted, then the cursor, the
// progress and the item count. A Reset batch first starts a new
// generation and flags the connector for SweepConnector. Applying the same batch twice stores
// nothing twice. A connector that is gone (disconnected meanwhile) gives
// ErrNotFound and stores nothing.
func (s *Store) ApplyConnectorBatch(ctx context.Context, userID, connectorID uuid.UUID, b ConnectorBatch, now time.Time) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("apply connector batch: %w", err)
	}
	xf, err := s.vectorTransform(userID)
	if err != nil {
		return err
	}
	indexKey := s.keys.BlindIndexKey(keys.UserID(userID))
	var cursor []byte
	if b.Cursor != nil {
		if cursor, err = k.seal("connectors", "cursor", connectorID, string(b.Cursor)); err != nil {
			return err
		}
	}
	return s.InTx(ctx, func(tx *Store) error {
		ptx := tx.db.(pgx.Tx)
		if err := registerVector(ctx, ptx.Conn()); err != nil {
			return err
		}
		// The lock serializes batches of one connector and keeps a
		// disconnect from racing with a batch.
		var generation int64
		if err := tx.db.QueryRow(ctx, `SELECT generation FROM connectors WHERE id = $1 AND user_id = $2 FOR UPDATE`, connectorID, userID).Scan(&generation); err != nil {
			return notFound(err, "apply connector batch")
		}
		if b.Reset {
			generation++
			if _, err := tx.db.Exec(ctx, `UPDATE connectors SET generation = $2, sweep_pending = true WHERE id = $1`, connectorID, generation); err != nil {
				return fmt.Errorf("apply connector batch: reset: %w", err)
			}
		}
		if err := tx.upsertMail(ctx, k, xf.Apply, indexKey, connectorID, generation, b.Mail); err != nil {
			return err
		}
		if err := tx.replaceEvents(ctx, k, indexKey, connectorID, generation, b.Events); err != nil {
			return err
		}
		if len(b.Removed) > 0 {
			removed := make([][]byte, len(b.Removed))
			for i, r := range b.Removed {
				removed[i] = tx.resourceKey(userID, connectorID, r)
			}
			for _, q := range []string{
				`DELETE FROM connector_mail WHERE connector_id = $1 AND resource_key = ANY($2)`,
				`DELETE FROM connector_events WHERE connector_id = $1 AND resource_key = ANY($2)`,
			} {
				if _, err := tx.db.Exec(ctx, q, connectorID, removed); err != nil {
					return fmt.Errorf("apply connector batch: remove: %w", err)
				}
			}
		}
		_, err := tx.db.Exec(ctx, `
			UPDATE connectors SET cursor_sealed = coalesce($3, cursor_sealed), progress_done = $4, progress_total = $5,
				items = (SELECT count(*) FROM connector_mail WHERE connector_id = $1) + (SELECT count(*) FROM connector_events WHERE connector_id = $1),
				updated_at = $6
			WHERE id = $1 AND user_id = $2`, connectorID, userID, cursor, b.ProgressDone, b.ProgressTotal, now)
		if err != nil {
			return fmt.Errorf("apply connector batch: %w", err)
		}
		return nil
	})
}

// upsertMail stores each message under its resource, keeping the row id
// of a message stored before (the sealing binds the id), in generation.
func (s *Store) upsertMail(ctx context.Context, k userKey, transform func(dst, src []float32), indexKey []byte, connectorID uuid.UUID, generation int64, mail []NewMail) error {
	if len(mail) == 0 {
		return nil
	}
	byKey := map[string]int{} // resource key → index of the last message with it
	rkeys := make([][]byte, 0, len(mail))
	for i, m := range mail {
		rk := s.resourceKey(k.userID, connectorID, m.Resource)
		if _, seen := byKey[string(rk)]; !seen {
			rkeys = append(rkeys, rk)
		}
		byKey[string(rk)] = i
	}
	rows, err := s.db.Query(ctx, `SELECT resource_key, id FROM connector_mail WHERE connector_id = $1 AND resource_key = ANY($2)`, connectorID, rkeys)
	if err != nil {
		return fmt.Errorf("store mail: %w", err)
	}
	existing := map[string]uuid.UUID{}
	var rk []byte
	var id uuid.UUID
	if _, err := pgx.ForEachRow(rows, []any{&rk, &id}, func() error { existing[string(rk)] = id; return nil }); err != nil {
		return fmt.Errorf("store mail: %w", err)
	}
	batch := &pgx.Batch{}
	for _, rk := range rkeys {
		m := mail[byKey[string(rk)]]
		id, ok := existing[string(rk)]
		if !ok {
			if id, err = uuid.NewV7(); err != nil {
				return err
			}
		}
		data, err := k.seal("connector_mail", "data", id, string(m.Data))
		if err != nil {
			return err
		}
		var embedding any
		if m.Embedding != nil {
			if len(m.Embedding) != EmbeddingDims {
				return fmt.Errorf("store mail: embedding of %d dimensions, want %d", len(m.Embedding), EmbeddingDims)
			}
			v := make([]float32, EmbeddingDims)
			transform(v, m.Embedding)
			embedding = pgvector.NewVector(v)
		}
		tokens := blindindex.Tokens(indexKey, m.IndexText)
		if tokens == nil {
			tokens = [][]byte{}
		}
		batch.Queue(`
			INSERT INTO connector_mail (id, connector_id, user_id, resource_key, data_sealed, embedding, tokens, generation)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (connector_id, resource_key) DO UPDATE SET data_sealed = EXCLUDED.data_sealed, embedding = EXCLUDED.embedding,
				tokens = EXCLUDED.tokens, generation = EXCLUDED.generation`,
			id, connectorID, k.userID, rk, data, embedding, tokens, generation)
	}
	if err := s.db.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("store mail: %w", err)
	}
	return nil
}

// replaceEvents deletes every stored occurrence of each event resource in
// events, then stores the batch's occurrences, ranked by start, in
// generation.
func (s *Store) replaceEvents(ctx context.Context, k userKey, indexKey []byte, connectorID uuid.UUID, generation int64, events []NewEvent) error {
	if len(events) == 0 {
		return nil
	}
	groups := map[string][]NewEvent{}
	var order [][]byte
	for _, e := range events {
		rk := s.resourceKey(k.userID, connectorID, e.Resource)
		if _, seen := groups[string(rk)]; !seen {
			order = append(order, rk)
		}
		groups[string(rk)] = append(groups[string(rk)], e)
	}
	if _, err := s.db.Exec(ctx, `DELETE FROM connector_events WHERE connector_id = $1 AND resource_key = ANY($2)`, connectorID, order); err != nil {
		return fmt.Errorf("store events: %w", err)
	}
	var rows [][]any
	for _, rk := range order {
		occ := groups[string(rk)]
		sort.SliceStable(occ, func(i, j int) bool { return occ[i].Start.Before(occ[j].Start) })
		for n, e := range occ {
			id, err := uuid.NewV7()
			if err != nil {
				return err
			}
			span, err := k.seal("connector_events", "span", id, encodeSpan(e.Start, e.End))
			if err != nil {
				return err
			}
			data, err := k.seal("connector_events", "data", id, string(e.Data))
			if err != nil {
				return err
			}
			tokens := blindindex.Tokens(indexKey, e.IndexText)
			if tokens == nil {
				tokens = [][]byte{}
			}
			rows = append(rows, []any{id, connectorID, k.userID, rk, int32(n), span, data, tokens, generation})
		}
	}
	_, err := s.db.(pgx.Tx).CopyFrom(ctx, pgx.Identifier{"connector_events"},
		[]string{"id", "connector_id", "user_id", "resource_key", "occurrence", "span_sealed", "data_sealed", "tokens", "generation"}, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("store events: %w", err)
	}
	return nil
}

// SweepConnector ends a completed sync: when a Reset batch flagged the
// connector, it deletes the items stored before that batch and not
// stored again since, updates the item count and clears the flag, in one
// transaction; otherwise it does nothing. It returns how many items it
// deleted. Another user's connector gives ErrNotFound.
func (s *Store) SweepConnector(ctx context.Context, userID, connectorID uuid.UUID, now time.Time) (int, error) {
	deleted := 0
	err := s.InTx(ctx, func(tx *Store) error {
		var generation int64
		var pending bool
		if err := tx.db.QueryRow(ctx, `SELECT generation, sweep_pending FROM connectors WHERE id = $1 AND user_id = $2 FOR UPDATE`,
			connectorID, userID).Scan(&generation, &pending); err != nil {
			return notFound(err, "sweep connector")
		}
		if !pending {
			return nil
		}
		for _, q := range []string{
			`DELETE FROM connector_mail WHERE connector_id = $1 AND generation < $2`,
			`DELETE FROM connector_events WHERE connector_id = $1 AND generation < $2`,
		} {
			tag, err := tx.db.Exec(ctx, q, connectorID, generation)
			if err != nil {
				return fmt.Errorf("sweep connector: %w", err)
			}
			deleted += int(tag.RowsAffected())
		}
		_, err := tx.db.Exec(ctx, `
			UPDATE connectors SET sweep_pending = false,
				items = (SELECT count(*) FROM connector_mail WHERE connector_id = $1) + (SELECT count(*) FROM connector_events WHERE connector_id = $1),
				updated_at = $2
			WHERE id = $1`, connectorID, now)
		if err != nil {
			return fmt.Errorf("sweep connector: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return deleted, nil
}

// encodeSpan and decodeSpan write an occurrence's start and end as the
// small sealed value a time-range query opens.
func encodeSpan(start, end time.Time) string {
	return strconv.FormatInt(start.UnixNano(), 10) + " " + strconv.FormatInt(end.UnixNano(), 10)
}

func decodeSpan(s string) (time.Time, time.Time, error) {
	a, b, ok := strings.Cut(s, " ")
	if !ok {
		return time.Time{}, time.Time{}, fmt.Errorf("event span: malformed")
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("event span: malformed")
	}
	return time.Unix(0, start).UTC(), time.Unix(0, end).UTC(), nil
}
