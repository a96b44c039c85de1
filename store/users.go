package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// User is an account.
type User struct {
	ID          uuid.UUID
	Username    string
	DisplayName string
	IsOwner     bool
	CreatedAt   time.Time
}

// userRow is a users row as stored: sealed columns and the wrapped key.
type userRow struct {
	id                uuid.UUID
	usernameSealed    []byte
	displayNameSealed []byte
	wrappedDEK        []byte
	isOwner           bool
	createdAt         time.Time
}

const userColumns = `u.id, u.username_sealed, u.display_name_sealed, u.wrapped_dek, u.is_owner, u.created_at`

func (r *userRow) scanTargets() []any {
	return []any{&r.id, &r.usernameSealed, &r.displayNameSealed, &r.wrappedDEK, &r.isOwner, &r.createdAt}
}

// open unwraps the row's key and unseals its columns.
func (s *Store) openUser(ctx context.Context, r userRow) (User, userKey, error) {
	k, err := s.unwrap(ctx, r.id, r.wrappedDEK)
	if err != nil {
		return User{}, userKey{}, err
	}
	u := User{ID: r.id, IsOwner: r.isOwner, CreatedAt: r.createdAt}
	if u.Username, err = k.open("users", "username", r.id, r.usernameSealed); err != nil {
		return User{}, userKey{}, err
	}
	if u.DisplayName, err = k.open("users", "display_name", r.id, r.displayNameSealed); err != nil {
		return User{}, userKey{}, err
	}
	return u, k, nil
}

func (s *Store) queryUser(ctx context.Context, what, where string, arg any) (User, error) {
	var r userRow
	if err := s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM users u WHERE `+where, arg).Scan(r.scanTargets()...); err != nil {
		return User{}, notFound(err, what)
	}
	u, _, err := s.openUser(ctx, r)
	if err != nil {
		return User{}, fmt.Errorf("%s: %w", what, err)
	}
	return u, nil
}

// CreateUser inserts a user with a fresh data key wrapped under the KEK
// version the database names. A taken username gives ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u User) error {
	return s.InTx(ctx, func(tx *Store) error {
		// FOR SHARE orders this insert against the end of a key rotation.
		var version uint32
		if err := tx.db.QueryRow(ctx, `SELECT coalesce(rotating_to, kek_version) FROM key_state FOR SHARE`).Scan(&version); err != nil {
			return fmt.Errorf("create user: key state: %w", err)
		}
		k, wrapped, err := tx.newUserKey(u.ID, version)
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		name, err := k.seal("users", "username", u.ID, u.Username)
		if err != nil {
			return err
		}
		display, err := k.seal("users", "display_name", u.ID, u.DisplayName)
		if err != nil {
			return err
		}
		_, err = tx.db.Exec(ctx, `
			INSERT INTO users (id, username_lookup, username_sealed, display_name_sealed, wrapped_dek, kek_version, is_owner, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			u.ID, tx.lookupHash(u.Username), name, display, wrapped, version, u.IsOwner, u.CreatedAt)
		if isUniqueViolation(err) {
			return fmt.Errorf("create user: %w", ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		tx.deks.put(u.ID, tx.dekEntry(u.ID, wrapped, k.key))
		return nil
	})
}

// UserByID returns one user.
func (s *Store) UserByID(ctx context.Context, id uuid.UUID) (User, error) {
	return s.queryUser(ctx, "user by id", `u.id = $1`, id)
}

// UserByUsername returns the user with that username, ignoring case.
func (s *Store) UserByUsername(ctx context.Context, username string) (User, error) {
	return s.queryUser(ctx, "user by username", `u.username_lookup = $1`, s.lookupHash(username))
}

// UsernameTaken reports whether a username is in use, ignoring case.
func (s *Store) UsernameTaken(ctx context.Context, username string) (bool, error) {
	var taken bool
	err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE username_lookup = $1)`, s.lookupHash(username)).Scan(&taken)
	if err != nil {
		return false, fmt.Errorf("username taken: %w", err)
	}
	return taken, nil
}

// HasUsers reports whether any account exists.
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	var exists bool
	if err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&exists); err != nil {
		return false, fmt.Errorf("has users: %w", err)
	}
	return exists, nil
}

// userIDs lists every user id, for maintenance work.
func (s *Store) userIDs(ctx context.Context) ([]uuid.UUID, error) {
	rows, err := s.db.Query(ctx, `SELECT id FROM users`)
	if err != nil {
		return nil, fmt.Errorf("user ids: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("user ids: %w", err)
	}
	return ids, nil
}
