package testdb

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"confidant/migrations"
)

// Cluster is a private Postgres server for tests that stop or restart the
// database, which the shared server must not suffer.
type Cluster struct {
	t    testing.TB
	dir  string
	port int
	as   []string // command prefix to run as the cluster's owner
	URL  string   // connection string of its migrated "confidant" database
}

// NewCluster starts a private Postgres 15 cluster (pgvector included, as
// the shared install provides it), migrates a database in it, and stops it
// when the test ends.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bin := "/usr/lib/postgresql/15/bin"
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		t.Fatalf("testdb: initdb not found (%v); `make test` installs PostgreSQL 15", err)
	}
	dir, err := os.MkdirTemp("", "confidant-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{t: t, dir: dir, port: freePort(t)}
	owner := "postgres"
	if u, err := user.Current(); err == nil && u.Uid != "0" {
		owner = u.Username // not root: run as ourselves
	} else {
		c.as = []string{"runuser", "-u", "postgres", "--"}
		pw, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("testdb: no postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(pw.Uid)
		gid, _ := strconv.Atoi(pw.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = c.run(filepath.Join(bin, "pg_ctl"), "-D", c.data(), "-m", "immediate", "stop")
		_ = os.RemoveAll(dir)
	})
	if err := c.run(filepath.Join(bin, "initdb"), "-D", c.data(), "-U", owner, "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		t.Fatalf("testdb: initdb: %v", err)
	}
	c.Start()
	ctx := context.Background()
	admin := fmt.Sprintf("host=%s port=%d user=%s dbname=postgres", dir, c.port, owner)
	pool, err := pgxpool.New(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "CREATE DATABASE confidant"); err != nil {
		t.Fatal(err)
	}
	pool.Close()
	c.URL = fmt.Sprintf("host=%s port=%d user=%s dbname=confidant", dir, c.port, owner)
	pool, err = pgxpool.New(ctx, c.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m, err := migrations.New(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses='' -c fsync=off", c.port, c.dir)
	if err := c.run("/usr/lib/postgresql/15/bin/pg_ctl", "-D", c.data(), "-o", opts, "-l", filepath.Join(c.dir, "log"), "-w", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		c.t.Fatalf("testdb: start cluster: %v\n%s", err, log)
	}
}

// Stop stops the server at once, as a crash or a restart would.
func (c *Cluster) Stop() {
	c.t.Helper()
	if err := c.run("/usr/lib/postgresql/15/bin/pg_ctl", "-D", c.data(), "-m", "fast", "-w", "stop"); err != nil {
		c.t.Fatalf("testdb: stop cluster: %v", err)
	}
}

func (c *Cluster) run(name string, args ...string) error {
	full := append(append(append([]string{}, c.as...), name), args...)
	out, err := exec.Command(full[0], full[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(name), err, out)
	}
	return nil
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
