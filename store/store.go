// Package store keeps Confidant's data in Postgres with plain SQL, one file
// per aggregate. Sealing and unsealing of user content happens here and
// nowhere else: callers see plaintext, the database sees ciphertext.
package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"confidant/enclave/keys"
)

// Sentinel errors callers check with errors.Is.
var (
	ErrNotFound    = errors.New("store: not found")
	ErrConflict    = errors.New("store: already exists")
	ErrLastPasskey = errors.New("store: cannot remove the last passkey")
	// ErrUserDeleted means the user's data key is refused: the user was
	// deleted, and what the database holds of them came back from a backup.
	ErrUserDeleted = keys.ErrUserDeleted
)

// querier is what both a pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Tombstones is the enclave's registry of deleted users, kept outside the
// database (enclave/tombstone.Registry).
type Tombstones interface {
	keys.TombstoneChecker
	Add(ids ...[]byte) error
	All() [][]byte
}

// Store is the data access layer. The zero value is not usable; use New.
type Store struct {
	pool  *pgxpool.Pool
	db    querier
	keys  *keys.Keyring
	tombs Tombstones
	deks  *dekCache
	// groups merge the writes of concurrent callers into shared
	// transactions (see commitGroup).
	groups commitGroups
}

// New returns a Store on the given pool that seals with the keyring and
// checks tombstones before unwrapping any user's data key.
func New(pool *pgxpool.Pool, keyring *keys.Keyring, tombs Tombstones) *Store {
	return &Store{pool: pool, db: pool, keys: keyring, tombs: tombs, deks: newDEKCache(4096), groups: newCommitGroups()}
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// InTx runs fn with a Store bound to one transaction, committing when fn
// returns nil and rolling back otherwise.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	if _, nested := s.db.(pgx.Tx); nested {
		return fn(s)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		inner := *s
		inner.db = tx
		return fn(&inner)
	})
}

// isUniqueViolation reports whether err is a Postgres unique-constraint error.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// notFound turns pgx.ErrNoRows into ErrNotFound and wraps other errors.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}
