// Package migrations holds Confidant's SQL schema changes and applies them
// with goose. Files are append-only and each runs in one transaction.
//
// River's job tables are not copied in here: River's own migrator applies
// them right after goose, from the River version in go.mod, and records them
// in its river_migration table, so upgrading River brings its migrations
// along and River's tooling sees the schema it expects.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed *.sql
var files embed.FS

// FS returns the embedded migration files.
func FS() fs.FS { return files }

// Migrator applies and reports migrations on one database.
type Migrator struct {
	db       *sql.DB
	provider *goose.Provider
	river    *rivermigrate.Migrator[pgx.Tx]
}

// New builds a Migrator on the pool's configuration. Close releases it.
func New(pool *pgxpool.Pool) (*Migrator, error) {
	db := stdlib.OpenDBFromPool(pool)
	p, err := goose.NewProvider(goose.DialectPostgres, db, files)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	river, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("migrations: river: %w", err)
	}
	return &Migrator{db: db, provider: p, river: river}, nil
}

// Close releases the migrator's connection handle (not the pool).
func (m *Migrator) Close() error { return m.db.Close() }

// Up applies every pending migration, ours then River's, and returns how
// many ran.
func (m *Migrator) Up(ctx context.Context) (int, error) {
	results, err := m.provider.Up(ctx)
	if err != nil {
		return len(results), fmt.Errorf("apply migrations: %w", err)
	}
	river, err := m.river.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return len(results), fmt.Errorf("apply river migrations: %w", err)
	}
	return len(results) + len(river.Versions), nil
}

// RiverVersion is the latest River schema version this build applies; it
// belongs to the schema's identity (test templates are keyed by it).
func RiverVersion() (int, error) {
	m, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	if err != nil {
		return 0, fmt.Errorf("river migrations: %w", err)
	}
	all := m.AllVersions()
	if len(all) == 0 {
		return 0, nil
	}
	return all[len(all)-1].Version, nil
}

// Status is one migration's state.
type Status struct {
	Version int64
	Name    string
	Applied bool
}

// Status lists every known migration and whether it has been applied.
func (m *Migrator) Status(ctx context.Context) ([]Status, error) {
	list, err := m.provider.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]Status, 0, len(list))
	for _, s := range list {
		out = append(out, Status{Version: s.Source.Version, Name: s.Source.Path, Applied: s.State == goose.StateApplied})
	}
	return out, nil
}

// Pending reports whether any migration has not been applied yet.
func (m *Migrator) Pending(ctx context.Context) (bool, error) {
	pending, err := m.provider.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("check pending migrations: %w", err)
	}
	if pending {
		return true, nil
	}
	applied, err := m.river.ExistingVersions(ctx)
	if err != nil {
		return false, fmt.Errorf("check pending river migrations: %w", err)
	}
	all := m.river.AllVersions()
	return len(applied) < len(all), nil
}
