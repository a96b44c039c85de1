package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"confidant/enclave/keys"
)

// DeleteUser removes the account and, through foreign keys, everything it
// owns, and records a tombstone: first in the enclave's registry outside
// the database, then in the tombstones table, in the same transaction as
// the delete. From then on the user's data key is refused even if an older
// dump brings the rows back.
func (s *Store) DeleteUser(ctx context.Context, id uuid.UUID) error {
	tomb := s.keys.TombstoneID(keys.UserID(id))
	err := s.InTx(ctx, func(tx *Store) error {
		tag, err := tx.db.Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("delete user: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("delete user: %w", ErrNotFound)
		}
		if _, err := tx.db.Exec(ctx, `INSERT INTO tombstones (id) VALUES ($1) ON CONFLICT DO NOTHING`, tomb); err != nil {
			return fmt.Errorf("delete user: tombstone: %w", err)
		}
		// The registry write is durable before the delete commits.
		if err := tx.tombs.Add(tomb); err != nil {
			return fmt.Errorf("delete user: tombstone registry: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.deks.drop(id)
	return nil
}

// SyncTombstones makes the tombstones table and the enclave's registry hold
// the same set, then deletes the rows of any tombstoned user that a restored
// dump brought back. It returns how many such users it purged. Run it at
// start and now and then: replicas learn each other's deletions through it.
func (s *Store) SyncTombstones(ctx context.Context) (int, error) {
	rows, err := s.db.Query(ctx, `SELECT id FROM tombstones`)
	if err != nil {
		return 0, fmt.Errorf("sync tombstones: %w", err)
	}
	inDB, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return 0, fmt.Errorf("sync tombstones: %w", err)
	}
	if err := s.tombs.Add(inDB...); err != nil {
		return 0, fmt.Errorf("sync tombstones: %w", err)
	}
	if _, err := s.db.Exec(ctx, `INSERT INTO tombstones (id) SELECT unnest($1::bytea[]) ON CONFLICT DO NOTHING`, s.tombs.All()); err != nil {
		return 0, fmt.Errorf("sync tombstones: %w", err)
	}
	ids, err := s.userIDs(ctx)
	if err != nil {
		return 0, err
	}
	purged := 0
	for _, id := range ids {
		dead, err := s.tombs.IsTombstoned(ctx, s.keys.TombstoneID(keys.UserID(id)))
		if err != nil {
			return purged, err
		}
		if !dead {
			continue
		}
		if _, err := s.db.Exec(ctx, `DELETE FROM users WHERE id = $1`, id); err != nil {
			return purged, fmt.Errorf("purge deleted user: %w", err)
		}
		s.deks.drop(id)
		purged++
	}
	return purged, nil
}
