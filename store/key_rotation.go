package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"confidant/enclave/keys"
)

// KeyState is which KEK version wraps new data keys, and the version a
// rotation in progress moves every key to.
type KeyState struct {
	KEKVersion uint32
	RotatingTo *uint32
}

// KeyState reads the key state.
func (s *Store) KeyState(ctx context.Context) (KeyState, error) {
	var st KeyState
	if err := s.db.QueryRow(ctx, `SELECT kek_version, rotating_to FROM key_state`).Scan(&st.KEKVersion, &st.RotatingTo); err != nil {
		return KeyState{}, fmt.Errorf("key state: %w", err)
	}
	return st, nil
}

// BeginKEKRotation starts a rotation to the next KEK version, or returns the
// target of the one already in progress, so an interrupted rotation resumes.
func (s *Store) BeginKEKRotation(ctx context.Context) (uint32, error) {
	var target uint32
	err := s.db.QueryRow(ctx, `
		UPDATE key_state SET rotating_to = coalesce(rotating_to, kek_version + 1), updated_at = now()
		RETURNING rotating_to`).Scan(&target)
	if err != nil {
		return 0, fmt.Errorf("begin rotation: %w", err)
	}
	return target, nil
}

// RotateKEKBatch re-wraps up to limit data keys still under an older KEK
// version, each row locked and skipped by concurrent rotators, and returns
// how many it re-wrapped. A tombstoned user that a restored dump brought
// back is deleted instead.
func (s *Store) RotateKEKBatch(ctx context.Context, target uint32, limit int) (int, error) {
	n := 0
	err := s.InTx(ctx, func(tx *Store) error {
		rows, err := tx.db.Query(ctx, `
			SELECT id, wrapped_dek FROM users WHERE kek_version < $1
			ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`, target, limit)
		if err != nil {
			return err
		}
		type item struct {
			id      uuid.UUID
			wrapped []byte
		}
		items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (item, error) {
			var it item
			err := r.Scan(&it.id, &it.wrapped)
			return it, err
		})
		if err != nil {
			return err
		}
		for _, it := range items {
			rewrapped, err := tx.keys.UnwrapRewrap(ctx, tx.tombs, keys.UserID(it.id), it.wrapped, target)
			if errors.Is(err, keys.ErrUserDeleted) {
				if _, err := tx.db.Exec(ctx, `DELETE FROM users WHERE id = $1`, it.id); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return fmt.Errorf("user %s: %w", it.id, err)
			}
			if _, err := tx.db.Exec(ctx, `UPDATE users SET wrapped_dek = $2, kek_version = $3 WHERE id = $1`, it.id, rewrapped, target); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("rotate batch: %w", err)
	}
	return n, nil
}

// FinishKEKRotation makes target the current version once no data key is
// left under an older one; done is false while some remain.
func (s *Store) FinishKEKRotation(ctx context.Context, target uint32) (done bool, err error) {
	err = s.InTx(ctx, func(tx *Store) error {
		if _, err := tx.db.Exec(ctx, `SELECT 1 FROM key_state FOR UPDATE`); err != nil {
			return err
		}
		var left bool
		if err := tx.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE kek_version < $1)`, target).Scan(&left); err != nil {
			return err
		}
		if left {
			return nil
		}
		_, err := tx.db.Exec(ctx, `UPDATE key_state SET kek_version = $1, rotating_to = NULL, updated_at = now() WHERE rotating_to = $1`, target)
		done = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("finish rotation: %w", err)
	}
	return done, nil
}

// UsersByKEKVersion counts data keys per KEK version, for progress reports.
func (s *Store) UsersByKEKVersion(ctx context.Context) (map[uint32]int, error) {
	rows, err := s.db.Query(ctx, `SELECT kek_version, count(*) FROM users GROUP BY kek_version`)
	if err != nil {
		return nil, fmt.Errorf("users by kek version: %w", err)
	}
	defer rows.Close()
	out := map[uint32]int{}
	for rows.Next() {
		var v uint32
		var n int
		if err := rows.Scan(&v, &n); err != nil {
			return nil, err
		}
		out[v] = n
	}
	return out, rows.Err()
}
