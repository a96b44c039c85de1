package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// APIKey is a per-user key for the OpenAI-compatible and JSON APIs. Only a
// hash of the secret is stored.
type APIKey struct {
	ID         uuid.UUID
	UserID     uuid.UUID
	Name       string
	TokenHash  []byte
	Scopes     []string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// CreateAPIKey stores a new key.
func (s *Store) CreateAPIKey(ctx context.Context, k APIKey) error {
	uk, err := s.keyFor(ctx, k.UserID)
	if err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	name, err := uk.seal("api_keys", "name", k.ID, k.Name)
	if err != nil {
		return err
	}
	_, err = s.db.Exec(ctx, `
		INSERT INTO api_keys (id, user_id, name_sealed, token_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		k.ID, k.UserID, name, k.TokenHash, k.Scopes, k.CreatedAt)
	if err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	return nil
}

// APIKeys lists a user's keys, newest first.
func (s *Store) APIKeys(ctx context.Context, userID uuid.UUID) ([]APIKey, error) {
	uk, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("api keys: %w", err)
	}
	rows, err := s.db.Query(ctx, `
		SELECT id, user_id, name_sealed, token_hash, scopes, created_at, last_used_at FROM api_keys
		WHERE user_id = $1 ORDER BY created_at DESC, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("api keys: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (APIKey, error) {
		var k APIKey
		var name []byte
		if err := row.Scan(&k.ID, &k.UserID, &name, &k.TokenHash, &k.Scopes, &k.CreatedAt, &k.LastUsedAt); err != nil {
			return APIKey{}, err
		}
		k.Name, err = uk.open("api_keys", "name", k.ID, name)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("api keys: %w", err)
	}
	return list, nil
}

// APIKeyByHash returns the key with that token hash and its user, and
// records its use (at most once a minute).
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte, now time.Time) (APIKey, User, error) {
	var k APIKey
	var ur userRow
	err := s.db.QueryRow(ctx, `
		SELECT k.id, k.user_id, k.scopes, k.created_at, k.last_used_at, `+userColumns+`
		FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.token_hash = $1`, hash).Scan(
		append([]any{&k.ID, &k.UserID, &k.Scopes, &k.CreatedAt, &k.LastUsedAt}, ur.scanTargets()...)...)
	if err != nil {
		return APIKey{}, User{}, notFound(err, "api key")
	}
	u, _, err := s.openUser(ctx, ur)
	if err != nil {
		return APIKey{}, User{}, fmt.Errorf("api key: %w", err)
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > time.Minute {
		if _, err := s.db.Exec(ctx, `UPDATE api_keys SET last_used_at = $2 WHERE id = $1`, k.ID, now); err != nil {
			return APIKey{}, User{}, fmt.Errorf("api key: %w", err)
		}
	}
	return k, u, nil
}

// DeleteAPIKey revokes one of the user's keys.
func (s *Store) DeleteAPIKey(ctx context.Context, userID, id uuid.UUID) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM api_keys WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return fmt.Errorf("delete api key: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete api key: %w", ErrNotFound)
	}
	return nil
}
