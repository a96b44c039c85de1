package store_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"confidant/enclave/keys"
	"confidant/enclave/seal"
	"confidant/internal/testdb"
	"confidant/store"
)

// TestSealedColumns checks that what the store writes is ciphertext and
// that ciphertext moved to another row, column or user fails to open.
func TestSealedColumns(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	kr, reg := testdb.Keys(t)
	s := store.New(pool, kr, reg)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")

	var name, display []byte
	if err := pool.QueryRow(ctx, `SELECT username_sealed, display_name_sealed FROM users WHERE id = $1`, alice.ID).Scan(&name, &display); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(name), "alice") || strings.Contains(string(display), "alice") {
		t.Fatal("plaintext in sealed columns")
	}

	tests := []struct {
		name    string
		sql     string
		victim  uuid.UUID
		wantErr error
	}{
		{"value from another user", `UPDATE users SET display_name_sealed = (SELECT display_name_sealed FROM users WHERE id = $2) WHERE id = $1`, alice.ID, seal.ErrWrongKey},
		{"value from another column", `UPDATE users SET display_name_sealed = username_sealed WHERE id = $1 AND $2::uuid IS NOT NULL`, bob.ID, seal.ErrCorrupt},
		{"truncated value", `UPDATE users SET username_sealed = substring(username_sealed from 1 for 20) WHERE id = $1 AND $2::uuid IS NOT NULL`, bob.ID, seal.ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := mustUser(t, s, "v"+strings.ReplaceAll(uuid.NewString()[:8], "-", ""))
			other := alice.ID
			victim := u.ID
			if _, err := pool.Exec(ctx, tt.sql, victim, other); err != nil {
				t.Fatal(err)
			}
			if _, err := s.UserByID(ctx, victim); !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}

	// A passkey name swapped between rows of the same user fails too.
	p1 := mustPasskey(t, s, alice.ID, "c1")
	mustPasskey(t, s, alice.ID, "c2")
	if _, err := pool.Exec(ctx, `UPDATE passkeys SET name_sealed = (SELECT name_sealed FROM passkeys WHERE id = $1) WHERE id <> $1`, p1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PasskeysByUser(ctx, alice.ID); !errors.Is(err, seal.ErrCorrupt) {
		t.Fatalf("swapped passkey name: %v", err)
	}
}

// TestDeletedUserStaysDeletedAfterRestore deletes an account, restores a
// dump taken before the deletion, and checks the enclave refuses the
// restored user's data key and the next sync purges the rows.
func TestDeletedUserStaysDeletedAfterRestore(t *testing.T) {
	t.Parallel()
	for _, bin := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s not found: `make test` installs postgresql-client", bin)
		}
	}
	pool, url := testdb.NewWithURL(t)
	kr, reg := testdb.Keys(t)
	s := store.New(pool, kr, reg)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	mustPasskey(t, s, alice.ID, "alice-key")
	bob := mustUser(t, s, "bob")

	dump := filepath.Join(t.TempDir(), "before.dump")
	run(t, "pg_dump", "--format=custom", "--file="+dump, "--dbname="+dsn(url))

	if err := s.DeleteUser(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByID(ctx, alice.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}

	// The operator restores the old dump over the live database.
	pool.Reset()
	run(t, "pg_restore", "--clean", "--if-exists", "--single-transaction", "--dbname="+dsn(url), dump)
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM users WHERE id = $1`, alice.ID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("restore did not bring the row back (%d, %v)", n, err)
	}

	// A fresh store (a restarted app) on the same enclave refuses the key.
	restarted := store.New(pool, kr, reg)
	if _, err := restarted.UserByID(ctx, alice.ID); !errors.Is(err, keys.ErrUserDeleted) {
		t.Fatalf("restored user readable: %v", err)
	}
	if _, err := restarted.UserByUsername(ctx, "alice"); !errors.Is(err, store.ErrUserDeleted) {
		t.Fatalf("restored user found by name: %v", err)
	}
	if _, err := restarted.UserByID(ctx, bob.ID); err != nil {
		t.Fatalf("other user lost: %v", err)
	}
	purged, err := restarted.SyncTombstones(ctx)
	if err != nil || purged != 1 {
		t.Fatalf("SyncTombstones = %d, %v", purged, err)
	}
	if _, err := restarted.UserByID(ctx, alice.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after purge: %v", err)
	}
	// The restore also dropped the tombstone row; the sync put it back.
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM tombstones`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("tombstones table = %d, %v", n, err)
	}
}

// TestKEKRotation rotates in batches, is interrupted, resumes, and keeps
// every user readable; a user created during the rotation lands on the new
// version.
func TestKEKRotation(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	kr, reg := testdb.Keys(t)
	s := store.New(pool, kr, reg)
	ctx := context.Background()
	var ids []uuid.UUID
	for i := range 25 {
		ids = append(ids, mustUser(t, s, "user"+string(rune('a'+i))).ID)
	}
	target, err := s.BeginKEKRotation(ctx)
	if err != nil || target != 2 {
		t.Fatalf("BeginKEKRotation = %d, %v", target, err)
	}
	if n, err := s.RotateKEKBatch(ctx, target, 10); err != nil || n != 10 {
		t.Fatalf("first batch = %d, %v", n, err)
	}
	if done, err := s.FinishKEKRotation(ctx, target); err != nil || done {
		t.Fatalf("finished early: %v %v", done, err)
	}
	late := mustUser(t, s, "latecomer")
	ids = append(ids, late.ID)

	// "Crash": a new store resumes the same rotation.
	resumed := store.New(pool, kr, reg)
	again, err := resumed.BeginKEKRotation(ctx)
	if err != nil || again != target {
		t.Fatalf("resume target = %d, %v", again, err)
	}
	for {
		n, err := resumed.RotateKEKBatch(ctx, target, 10)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if done, err := resumed.FinishKEKRotation(ctx, target); err != nil || !done {
		t.Fatalf("FinishKEKRotation = %v, %v", done, err)
	}
	counts, _ := resumed.UsersByKEKVersion(ctx)
	if len(counts) != 1 || counts[2] != len(ids) {
		t.Fatalf("versions after rotation: %v", counts)
	}
	st, _ := resumed.KeyState(ctx)
	if st.KEKVersion != 2 || st.RotatingTo != nil {
		t.Fatalf("key state %+v", st)
	}
	for _, id := range ids {
		if _, err := resumed.UserByID(ctx, id); err != nil {
			t.Fatalf("user %s unreadable after rotation: %v", id, err)
		}
	}
	next, _ := resumed.BeginKEKRotation(ctx)
	if next != 3 {
		t.Errorf("next rotation target = %d", next)
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=10")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

// dsn turns a pgx connection string into one libpq tools accept.
func dsn(url string) string {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		panic(err)
	}
	c := cfg.ConnConfig
	return "host=" + c.Host + " port=" + strconv.Itoa(int(c.Port)) + " user=" + c.User + " dbname=" + c.Database
}
