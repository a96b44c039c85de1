// Package testdb gives each test its own freshly migrated Postgres database,
// cloned from a template so that tests run in parallel without sharing rows.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"confidant/config"
	"confidant/enclave/keys"
	"confidant/enclave/tombstone"
	"confidant/migrations"
	"confidant/store"
)

// AdminURL is the database the helper connects to for creating and dropping
// test databases: DATABASE_URL when set, else the local default.
func AdminURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return config.DefaultDatabaseURL
}

// New creates a database for this test, migrated to the latest schema, and
// drops it when the test ends. It fails the test when Postgres is not
// reachable: run `make test`, which provisions it.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, _ := NewWithURL(t)
	return pool
}

// NewWithURL is New that also returns the connection string of the test
// database, for tests that start a whole server or run pg_dump.
func NewWithURL(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("testdb: connect to Postgres (%v); `make test` provisions it", err)
	}
	defer admin.Close(ctx)

	template, err := ensureTemplate(ctx, admin)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	name := "confidant_test_" + randomHex(6)
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, template)); err != nil {
		t.Fatalf("testdb: create %s: %v", name, err)
	}
	url, err := withDatabase(AdminURL(), name)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	store.ConfigurePool(pcfg)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		t.Fatalf("testdb: open %s: %v", name, err)
	}
	t.Cleanup(func() {
		pool.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			t.Logf("testdb: drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Logf("testdb: drop %s: %v", name, err)
		}
	})
	return pool, url
}

// ensureTemplate creates, once per migration set, a migrated template
// database. An advisory lock keeps parallel test binaries from racing.
func ensureTemplate(ctx context.Context, admin *pgx.Conn) (string, error) {
	sum, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "confidant_tmpl_" + sum[:12]
	if _, err := admin.Exec(ctx, `SELECT pg_advisory_lock(74231)`); err != nil {
		return "", fmt.Errorf("lock: %w", err)
	}
	defer admin.Exec(context.Background(), `SELECT pg_advisory_unlock(74231)`) //nolint:errcheck // released with the connection anyway

	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", fmt.Errorf("look up template: %w", err)
	}
	if exists {
		return name, nil
	}
	building := name + "_wip"
	if _, err := admin.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building)); err != nil {
		return "", fmt.Errorf("drop stale template: %w", err)
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	url, err := withDatabase(AdminURL(), building)
	if err != nil {
		return "", err
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return "", fmt.Errorf("open template: %w", err)
	}
	m, err := migrations.New(pool)
	if err == nil {
		_, err = m.Up(ctx)
		m.Close()
	}
	pool.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, name)); err != nil {
		return "", fmt.Errorf("publish template: %w", err)
	}
	return name, nil
}

func migrationsHash() (string, error) {
	h := sha256.New()
	var names []string
	err := fs.WalkDir(migrations.FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, path)
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	river, err := migrations.RiverVersion()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(h, "river\x00%d\x00", river)
	for _, n := range names {
		b, err := fs.ReadFile(migrations.FS(), n)
		if err != nil {
			return "", fmt.Errorf("read migration: %w", err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// withDatabase returns the connection string url pointed at database name.
// Both the URL form and the key=value form take a later dbname override.
func withDatabase(url, name string) (string, error) {
	if _, err := pgx.ParseConfig(url); err != nil {
		return "", fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		return url + sep + "dbname=" + name, nil
	}
	return url + " dbname=" + name, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Keys returns a keyring on a random root and an empty tombstone registry in
// a temporary directory, as a real enclave would provide them.
func Keys(t testing.TB) (*keys.Keyring, *tombstone.Registry) {
	t.Helper()
	root := make([]byte, keys.KeySize)
	_, _ = rand.Read(root)
	kr, err := keys.NewKeyring(root)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := tombstone.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return kr, reg
}

// NewStore is New wrapped in a sealing store with fresh keys.
func NewStore(t testing.TB) *store.Store {
	t.Helper()
	kr, reg := Keys(t)
	return store.New(New(t), kr, reg)
}
