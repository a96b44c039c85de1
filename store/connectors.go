package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"confidant/enclave/keys"
)

// Connector states, as the JSON API shows them.
const (
	ConnectorSyncing = "syncing"
	ConnectorIdle    = "idle"
	ConnectorError   = "error"
)

// Connector is a connected mail or calendar account. Its name, settings
// (credentials included), error text and cursor are sealed; its kind,
// state, counts and times are not.
type Connector struct {
	ID            uuid.UUID
	UserID        uuid.UUID
	Kind          string
	Name          string // for display, e.g. "alice@example.org on imap.example.org"
	Settings      []byte // the connector's settings as JSON, credentials included
	Status        string
	ErrorCode     string
	Error         string // for its owner
	ErrorRetry    bool   // whether a later try may help without the owner's action
	Cursor        []byte // where the next sync resumes; nil before the first batch
	Items         int    // mail and event occurrences stored
	ProgressDone  int
	ProgressTotal int
	LastSync      *time.Time
	LastErrorAt   *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// ConnectorRef names a connector and its owner, for background work.
type ConnectorRef struct {
	ID     uuid.UUID
	UserID uuid.UUID
}

const connectorColumns = `id, user_id, kind, name_sealed, settings_sealed, status, error_code, error_sealed, error_retry, cursor_sealed,
	items, progress_done, progress_total, last_sync, last_error_at, created_at, updated_at`

func scanConnector(k userKey) pgx.RowToFunc[Connector] {
	return func(row pgx.CollectableRow) (Connector, error) {
		var c Connector
		var name, settings, errText, cursor []byte
		if err := row.Scan(&c.ID, &c.UserID, &c.Kind, &name, &settings, &c.Status, &c.ErrorCode, &errText, &c.ErrorRetry, &cursor,
			&c.Items, &c.ProgressDone, &c.ProgressTotal, &c.LastSync, &c.LastErrorAt, &c.CreatedAt, &c.UpdatedAt); err != nil {
			return Connector{}, err
		}
		var err error
		if c.Name, err = k.open("connectors", "name", c.ID, name); err != nil {
			return Connector{}, err
		}
		s, err := k.open("connectors", "settings", c.ID, settings)
		if err != nil {
			return Connector{}, err
		}
		c.Settings = []byte(s)
		if errText != nil {
			if c.Error, err = k.open("connectors", "error", c.ID, errText); err != nil {
				return Connector{}, err
			}
		}
		if cursor != nil {
			cur, err := k.open("connectors", "cursor", c.ID, cursor)
			if err != nil {
				return Connector{}, err
			}
			c.Cursor = []byte(cur)
		}
		return c, nil
	}
}

// CreateConnector stores a new connector as syncing, then runs enqueue in
// the same transaction (the first sync's River job).
func (s *Store) CreateConnector(ctx context.Context, c Connector, enqueue TxHook) error {
	k, err := s.keyFor(ctx, c.UserID)
	if err != nil {
		return fmt.Errorf("create connector: %w", err)
	}
	name, err := k.seal("connectors", "name", c.ID, c.Name)
	if err != nil {
		return err
	}
	settings, err := k.seal("connectors", "settings", c.ID, string(c.Settings))
	if err != nil {
		return err
	}
	return s.InTx(ctx, func(tx *Store) error {
		_, err := tx.db.Exec(ctx, `
			INSERT INTO connectors (id, user_id, kind, name_sealed, settings_sealed, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, 'syncing', $6, $6)`, c.ID, c.UserID, c.Kind, name, settings, c.CreatedAt)
		if err != nil {
			return fmt.Errorf("create connector: %w", err)
		}
		if enqueue == nil {
			return nil
		}
		return enqueue(ctx, tx.db.(pgx.Tx))
	})
}

// Connector returns one of the user's connectors; another user's id gives
// ErrNotFound.
func (s *Store) Connector(ctx context.Context, userID, id uuid.UUID) (Connector, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return Connector{}, fmt.Errorf("connector: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+connectorColumns+` FROM connectors WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return Connector{}, fmt.Errorf("connector: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanConnector(k))
	if err != nil {
		return Connector{}, notFound(err, "connector")
	}
	return c, nil
}

// Connectors lists the user's connectors, oldest first. A user connects a
// handful of accounts, so the list is not paginated.
func (s *Store) Connectors(ctx context.Context, userID uuid.UUID) ([]Connector, error) {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("connectors: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+connectorColumns+` FROM connectors WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("connectors: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanConnector(k))
	if err != nil {
		return nil, fmt.Errorf("connectors: %w", err)
	}
	return list, nil
}

// DeleteConnector removes one of the user's connectors with its
// credentials and every item it synced.
func (s *Store) DeleteConnector(ctx context.Context, userID, id uuid.UUID) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM connectors WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return fmt.Errorf("delete connector: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete connector: %w", ErrNotFound)
	}
	return nil
}

// SetConnectorSettings replaces a connector's sealed settings (refreshed
// OAuth tokens).
func (s *Store) SetConnectorSettings(ctx context.Context, userID, id uuid.UUID, settings []byte, now time.Time) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("connector settings: %w", err)
	}
	sealed, err := k.seal("connectors", "settings", id, string(settings))
	if err != nil {
		return err
	}
	tag, err := s.db.Exec(ctx, `UPDATE connectors SET settings_sealed = $3, updated_at = $4 WHERE id = $1 AND user_id = $2`, id, userID, sealed, now)
	if err != nil {
		return fmt.Errorf("connector settings: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("connector settings: %w", ErrNotFound)
	}
	return nil
}

// ConnectorSyncing marks a connector as syncing; the error of an earlier
// try stays until the sync ends, so the page can still say what happened.
func (s *Store) ConnectorSyncing(ctx context.Context, userID, id uuid.UUID, now time.Time) error {
	tag, err := s.db.Exec(ctx, `UPDATE connectors SET status = 'syncing', updated_at = $3 WHERE id = $1 AND user_id = $2`, id, userID, now)
	if err != nil {
		return fmt.Errorf("connector syncing: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("connector syncing: %w", ErrNotFound)
	}
	return nil
}

// ConnectorSynced marks a connector as caught up at now.
func (s *Store) ConnectorSynced(ctx context.Context, userID, id uuid.UUID, now time.Time) error {
	tag, err := s.db.Exec(ctx, `
		UPDATE connectors SET status = 'idle', error_code = '', error_sealed = NULL, error_retry = false, last_sync = $3, updated_at = $3
		WHERE id = $1 AND user_id = $2`, id, userID, now)
	if err != nil {
		return fmt.Errorf("connector synced: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("connector synced: %w", ErrNotFound)
	}
	return nil
}

// ConnectorFailed records why a sync stopped, with a message for the
// owner (sealed: it may name their server or account) and whether trying
// again later may help.
func (s *Store) ConnectorFailed(ctx context.Context, userID, id uuid.UUID, code, message string, retry bool, now time.Time) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("connector failed: %w", err)
	}
	sealed, err := k.seal("connectors", "error", id, message)
	if err != nil {
		return err
	}
	tag, err := s.db.Exec(ctx, `
		UPDATE connectors SET status = 'error', error_code = $3, error_sealed = $4, error_retry = $5, last_error_at = $6, updated_at = $6
		WHERE id = $1 AND user_id = $2`, id, userID, code, sealed, retry, now)
	if err != nil {
		return fmt.Errorf("connector failed: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("connector failed: %w", ErrNotFound)
	}
	return nil
}

// ConnectorsDue lists connectors, of every user, whose last sync ended
// before cutoff (or that never synced) and that are neither syncing nor
// stopped by an error only their owner can fix, at most limit of them,
// least recently synced first.
func (s *Store) ConnectorsDue(ctx context.Context, cutoff time.Time, limit int) ([]ConnectorRef, error) {
	rows, err := s.db.Query(ctx, `
		SELECT id, user_id FROM connectors
		WHERE status <> 'syncing' AND (status <> 'error' OR error_retry) AND (last_sync IS NULL OR last_sync < $1)
		ORDER BY last_sync NULLS FIRST, id LIMIT $2`, cutoff, limit)
	if err != nil {
		return nil, fmt.Errorf("connectors due: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ConnectorRef])
	if err != nil {
		return nil, fmt.Errorf("connectors due: %w", err)
	}
	return list, nil
}

// resourceKey is the keyed hash under which a synced item's resource is
// stored: stable for one connector, meaningless without the owner's key.
func (s *Store) resourceKey(userID, connectorID uuid.UUID, resource string) []byte {
	m := hmac.New(sha256.New, s.keys.BlindIndexKey(keys.UserID(userID)))
	m.Write([]byte("connector-resource\x00" + connectorID.String() + "\x00" + resource))
	return m.Sum(nil)
}
