package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// User is an account.
type User struct {
	ID          uuid.UUID
	Username    string
	DisplayName string
	IsOwner     bool
	CreatedAt   time.Time
}

const userColumns = `id, username, display_name, is_owner, created_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.IsOwner, &u.CreatedAt)
	return u, err
}

// CreateUser inserts a user. A taken username gives ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u User) error {
	_, err := s.db.Exec(ctx,
		`INSERT INTO users (id, username, display_name, is_owner, created_at) VALUES ($1, $2, $3, $4, $5)`,
		u.ID, u.Username, u.DisplayName, u.IsOwner, u.CreatedAt)
	if isUniqueViolation(err) {
		return fmt.Errorf("create user: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

// UserByID returns one user.
func (s *Store) UserByID(ctx context.Context, id uuid.UUID) (User, error) {
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return User{}, notFound(err, "user by id")
	}
	return u, nil
}

// UserByUsername returns the user with that username, ignoring case.
func (s *Store) UserByUsername(ctx context.Context, username string) (User, error) {
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE lower(username) = lower($1)`, username))
	if err != nil {
		return User{}, notFound(err, "user by username")
	}
	return u, nil
}

// UsernameTaken reports whether a username is in use, ignoring case.
func (s *Store) UsernameTaken(ctx context.Context, username string) (bool, error) {
	var taken bool
	err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE lower(username) = lower($1))`, username).Scan(&taken)
	if err != nil {
		return false, fmt.Errorf("username taken: %w", err)
	}
	return taken, nil
}

// HasUsers reports whether any account exists.
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	var any bool
	if err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users)`).Scan(&any); err != nil {
		return false, fmt.Errorf("has users: %w", err)
	}
	return any, nil
}

// DeleteUser removes the account and, through foreign keys, everything it owns.
func (s *Store) DeleteUser(ctx context.Context, id uuid.UUID) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM users WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete user: %w", ErrNotFound)
	}
	return nil
}
