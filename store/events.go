package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// NewEvent is one occurrence of a synced event to store: its times (sealed
// on their own, for range queries), its JSON form (sealed whole) and the
// words it is found by (kept only as blind-index tokens).
type NewEvent struct {
	Resource  string
	Start     time.Time
	End       time.Time
	Data      []byte
	IndexText string
}

// EventItem is a stored occurrence, unsealed.
type EventItem struct {
	ID          uuid.UUID
	ConnectorID uuid.UUID
	Start       time.Time
	End         time.Time
	Data        []byte
}

// MaxEventScan bounds how many stored occurrences one time-range query
// opens. Times are sealed, so the database cannot filter by them; a sync
// window (CalDAV's is a year back and two ahead) keeps a user's
// occurrences far below this. Past it the query fails rather than answer
// from part of the calendar.
const MaxEventScan = 50000

// ErrTooManyEvents means a user holds more occurrences than a time-range
// query opens.
var ErrTooManyEvents = fmt.Errorf("store: more than %d event occurrences", MaxEventScan)

// Events returns the user's occurrences overlapping [from, to), by start
// then id, at most limit of them. It opens each occurrence's sealed span,
// keeps those in range, then opens only their data.
func (s *Store) Events(ctx context.Context, userID uuid.UUID, from, to time.Time, limit int) ([]EventItem, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT id, span_sealed FROM connector_events WHERE user_id = $1 LIMIT $2`, userID, MaxEventScan+1)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	var kept []EventItem
	var id uuid.UUID
	var span []byte
	n := 0
	_, err = pgx.ForEachRow(rows, []any{&id, &span}, func() error {
		n++
		plain, err := k.open("connector_events", "span", id, span)
		if err != nil {
			return err
		}
		start, end, err := decodeSpan(plain)
		if err != nil {
			return err
		}
		if start.Before(to) && end.After(from) || start.Equal(end) && !start.Before(from) && start.Before(to) {
			kept = append(kept, EventItem{ID: id, Start: start, End: end})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	if n > MaxEventScan {
		return nil, fmt.Errorf("events: %w", ErrTooManyEvents)
	}
	sort.Slice(kept, func(i, j int) bool {
		if !kept[i].Start.Equal(kept[j].Start) {
			return kept[i].Start.Before(kept[j].Start)
		}
		return kept[i].ID.String() < kept[j].ID.String()
	})
	kept = kept[:min(limit, len(kept))]
	if len(kept) == 0 {
		return []EventItem{}, nil
	}
	ids := make([]uuid.UUID, len(kept))
	for i, e := range kept {
		ids[i] = e.ID
	}
	rows, err = s.db.Query(ctx, `SELECT id, connector_id, data_sealed FROM connector_events WHERE user_id = $1 AND id = ANY($2)`, userID, ids)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	type opened struct {
		connectorID uuid.UUID
		data        []byte
	}
	byID := map[uuid.UUID]opened{}
	var connectorID uuid.UUID
	var sealed []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &connectorID, &sealed}, func() error {
		data, err := k.open("connector_events", "data", id, sealed)
		if err != nil {
			return err
		}
		byID[id] = opened{connectorID, []byte(data)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	out := make([]EventItem, 0, len(kept))
	for _, e := range kept {
		o, ok := byID[e.ID]
		if !ok {
			continue // replaced by a sync between the two queries
		}
		e.ConnectorID, e.Data = o.connectorID, o.data
		out = append(out, e)
	}
	return out, nil
}
