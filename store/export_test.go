package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"confidant/internal/testdb"
	"confidant/store"
)

// ExportConnectors reads the connectors table where it exists (the conn
// branch's migration) and answers none where it does not.
func TestExportConnectors(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	kr, reg := testdb.Keys(t)
	s := store.New(pool, kr, reg)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	bob := mustUser(t, s, "bob")

	var present bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('connectors') IS NOT NULL`).Scan(&present); err != nil {
		t.Fatal(err)
	}
	if !present {
		list, err := s.ExportConnectors(ctx, alice.ID)
		if err != nil || len(list) != 0 {
			t.Fatalf("without the table: %v, %v", list, err)
		}
		// The columns the connectors migration defines that export reads.
		if _, err := pool.Exec(ctx, `CREATE TABLE connectors (id uuid PRIMARY KEY, user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
			kind text NOT NULL, name_sealed bytea NOT NULL, settings_sealed bytea NOT NULL, status text NOT NULL,
			created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)`); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	insert := func(userID uuid.UUID, name, settings string) uuid.UUID {
		id := uuid.New()
		n, err := s.SealForTest(ctx, userID, "connectors", "name", id, name)
		if err != nil {
			t.Fatal(err)
		}
		set, err := s.SealForTest(ctx, userID, "connectors", "settings", id, settings)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO connectors (id, user_id, kind, name_sealed, settings_sealed, status, created_at, updated_at)
			VALUES ($1, $2, 'imap', $3, $4, 'idle', $5, $5)`, id, userID, n, set, at); err != nil {
			t.Fatal(err)
		}
		return id
	}
	id := insert(alice.ID, "alice@imap.example", `{"kind":"imap","host":"imap.example","password":"hunter2"}`)
	insert(bob.ID, "bob@imap.example", `{"kind":"imap","password":"bobs"}`)

	list, err := s.ExportConnectors(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != id || list[0].Kind != "imap" || list[0].Name != "alice@imap.example" || !list[0].CreatedAt.Equal(at) {
		t.Fatalf("connectors = %+v", list)
	}
	var settings map[string]string
	if err := json.Unmarshal(list[0].Settings, &settings); err != nil || settings["password"] != "hunter2" {
		t.Fatalf("settings = %s (%v)", list[0].Settings, err)
	}
	counts, err := s.AccountCounts(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Connectors != 1 {
		t.Fatalf("counts = %+v", counts)
	}
}

// A snapshot does not see what commits after it began.
func TestReadSnapshotIsOneMoment(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	alice := mustUser(t, s, "alice")
	at := time.Now().UTC()
	err := s.ReadSnapshot(ctx, func(snap *store.Store) error {
		before, err := snap.AccountCounts(ctx, alice.ID)
		if err != nil {
			return err
		}
		c := store.Conversation{ID: uuid.New(), UserID: alice.ID, Model: "m", CreatedAt: at, UpdatedAt: at}
		if err := s.CreateConversation(ctx, c); err != nil {
			return err
		}
		after, err := snap.AccountCounts(ctx, alice.ID)
		if err != nil {
			return err
		}
		if after != before {
			t.Errorf("snapshot saw a later write: %+v then %+v", before, after)
		}
		if err := s.CreateConversation(ctx, c); err == nil {
			t.Error("a duplicate conversation was accepted: the writes above did not reach the database")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	counts, err := s.AccountCounts(ctx, alice.ID)
	if err != nil || counts.Conversations != 1 {
		t.Fatalf("after the snapshot: %+v %v", counts, err)
	}
}
