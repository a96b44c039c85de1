package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Passkey is one WebAuthn credential of a user.
type Passkey struct {
	ID         uuid.UUID
	UserID     uuid.UUID
	Name       string
	Credential webauthn.Credential
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

const passkeyColumns = `id, user_id, name_sealed, credential, created_at, last_used_at`

// sealedPasskey is a passkeys row before its name is unsealed.
type sealedPasskey struct {
	Passkey
	nameSealed []byte
}

func scanPasskey(row pgx.CollectableRow) (sealedPasskey, error) {
	var p sealedPasskey
	var raw []byte
	if err := row.Scan(&p.ID, &p.UserID, &p.nameSealed, &raw, &p.CreatedAt, &p.LastUsedAt); err != nil {
		return sealedPasskey{}, err
	}
	if err := json.Unmarshal(raw, &p.Credential); err != nil {
		return sealedPasskey{}, fmt.Errorf("decode credential %s: %w", p.ID, err)
	}
	return p, nil
}

// openPasskeys unseals the names of one user's passkeys.
func openPasskeys(k userKey, list []sealedPasskey) ([]Passkey, error) {
	out := make([]Passkey, len(list))
	for i, p := range list {
		name, err := k.open("passkeys", "name", p.ID, p.nameSealed)
		if err != nil {
			return nil, err
		}
		out[i] = p.Passkey
		out[i].Name = name
	}
	return out, nil
}

// AddPasskey stores a new credential. A credential id already registered
// gives ErrConflict.
func (s *Store) AddPasskey(ctx context.Context, p Passkey) error {
	raw, err := json.Marshal(p.Credential)
	if err != nil {
		return fmt.Errorf("add passkey: %w", err)
	}
	k, err := s.keyFor(ctx, p.UserID)
	if err != nil {
		return fmt.Errorf("add passkey: %w", err)
	}
	name, err := k.seal("passkeys", "name", p.ID, p.Name)
	if err != nil {
		return err
	}
	_, err = s.db.Exec(ctx, `
		INSERT INTO passkeys (id, user_id, credential_id, credential, name_sealed, sign_count, backup_eligible, backup_state, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		p.ID, p.UserID, p.Credential.ID, raw, name, int64(p.Credential.Authenticator.SignCount),
		p.Credential.Flags.BackupEligible, p.Credential.Flags.BackupState, p.CreatedAt)
	if isUniqueViolation(err) {
		return fmt.Errorf("add passkey: %w", ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("add passkey: %w", err)
	}
	return nil
}

// PasskeysByUser lists a user's passkeys, oldest first.
func (s *Store) PasskeysByUser(ctx context.Context, userID uuid.UUID) ([]Passkey, error) {
	rows, err := s.db.Query(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("passkeys by user: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanPasskey)
	if err != nil {
		return nil, fmt.Errorf("passkeys by user: %w", err)
	}
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("passkeys by user: %w", err)
	}
	return openPasskeys(k, list)
}

// PasskeyByCredentialID finds a passkey by its WebAuthn credential id.
func (s *Store) PasskeyByCredentialID(ctx context.Context, credentialID []byte) (Passkey, error) {
	rows, err := s.db.Query(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE credential_id = $1`, credentialID)
	if err != nil {
		return Passkey{}, fmt.Errorf("passkey by credential: %w", err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanPasskey)
	if err != nil {
		return Passkey{}, notFound(err, "passkey by credential")
	}
	k, err := s.keyFor(ctx, p.UserID)
	if err != nil {
		return Passkey{}, fmt.Errorf("passkey by credential: %w", err)
	}
	list, err := openPasskeys(k, []sealedPasskey{p})
	if err != nil {
		return Passkey{}, err
	}
	return list[0], nil
}

// RecordPasskeyUse stores the credential state after a successful assertion
// (sign count, backup state) and when it was used.
func (s *Store) RecordPasskeyUse(ctx context.Context, id uuid.UUID, cred webauthn.Credential, at time.Time) error {
	raw, err := json.Marshal(cred)
	if err != nil {
		return fmt.Errorf("record passkey use: %w", err)
	}
	_, err = s.db.Exec(ctx, `
		UPDATE passkeys SET credential = $2, sign_count = $3, backup_eligible = $4, backup_state = $5, last_used_at = $6
		WHERE id = $1`,
		id, raw, int64(cred.Authenticator.SignCount), cred.Flags.BackupEligible, cred.Flags.BackupState, at)
	if err != nil {
		return fmt.Errorf("record passkey use: %w", err)
	}
	return nil
}

// RenamePasskey changes the name of one of the user's passkeys.
func (s *Store) RenamePasskey(ctx context.Context, userID, id uuid.UUID, name string) error {
	k, err := s.keyFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("rename passkey: %w", err)
	}
	sealed, err := k.seal("passkeys", "name", id, name)
	if err != nil {
		return err
	}
	tag, err := s.db.Exec(ctx, `UPDATE passkeys SET name_sealed = $3 WHERE id = $2 AND user_id = $1`, userID, id, sealed)
	if err != nil {
		return fmt.Errorf("rename passkey: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("rename passkey: %w", ErrNotFound)
	}
	return nil
}

// DeletePasskey removes one of the user's passkeys, refusing with
// ErrLastPasskey when it is the only one left.
func (s *Store) DeletePasskey(ctx context.Context, userID, id uuid.UUID) error {
	return s.InTx(ctx, func(tx *Store) error {
		var count int
		// Lock the user's passkeys so two concurrent removals cannot both pass the check.
		err := tx.db.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM passkeys WHERE user_id = $1 FOR UPDATE) p`, userID).Scan(&count)
		if err != nil {
			return fmt.Errorf("delete passkey: %w", err)
		}
		tag, err := tx.db.Exec(ctx, `DELETE FROM passkeys WHERE id = $2 AND user_id = $1`, userID, id)
		if err != nil {
			return fmt.Errorf("delete passkey: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("delete passkey: %w", ErrNotFound)
		}
		if count <= 1 {
			return fmt.Errorf("delete passkey: %w", ErrLastPasskey)
		}
		return nil
	})
}
