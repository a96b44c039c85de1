package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"confidant/internal/testdb"
)

// TestGroupCommitter checks that a request alone flushes at once, that
// those arriving during a flush are flushed together by one of them in the
// next, and that every request of a group gets that group's outcome.
func TestGroupCommitter(t *testing.T) {
	errDisk := errors.New("disk on fire")
	tests := []struct {
		name     string
		flushErr error
	}{
		{"commits", nil},
		{"a failed flush fails every request of its group", errDisk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const waiting = 20
			release := make(chan struct{})
			var mu sync.Mutex
			var groups [][]string
			g := &groupCommitter{flush: func(ctx context.Context, rows []*pendingRow) error {
				mu.Lock()
				first := len(groups) == 0
				var bodies []string
				for _, r := range rows {
					if len(r.id) != 16 {
						t.Errorf("id of %d bytes, want 16", len(r.id))
					}
					bodies = append(bodies, string(r.body))
				}
				groups = append(groups, bodies)
				mu.Unlock()
				if first {
					<-release // the others queue meanwhile
				}
				return tt.flushErr
			}}

			errs := make(chan error, waiting+1)
			go func() { errs <- g.commit([]byte("first")) }()
			waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(groups) == 1 })
			for i := range waiting {
				go func() { errs <- g.commit(fmt.Appendf(nil, "queued %d", i)) }()
			}
			waitFor(t, func() bool { g.mu.Lock(); defer g.mu.Unlock(); return len(g.queue) == waiting })
			close(release)
			for range waiting + 1 {
				if err := <-errs; !errors.Is(err, tt.flushErr) {
					t.Errorf("commit: %v, want %v", err, tt.flushErr)
				}
			}
			if len(groups) != 2 || len(groups[0]) != 1 || groups[0][0] != "first" || len(groups[1]) != waiting {
				t.Fatalf("flushed groups %q, want [first] then the %d queued together", groups, waiting)
			}

			// Alone again, a request flushes at once.
			if err := g.commit([]byte("alone")); !errors.Is(err, tt.flushErr) {
				t.Errorf("commit alone: %v, want %v", err, tt.flushErr)
			}
			if len(groups) != 3 || len(groups[2]) != 1 || groups[2][0] != "alone" {
				t.Errorf("after a lone commit the groups are %q", groups)
			}
		})
	}
}

// TestDurableFloorHandler runs the durable floor's handler on a real
// database: each POST's body is in the table before the backend sees it,
// concurrent POSTs all land, a GET commits nothing, and when the insert
// fails the request is answered 500 and logged, and never proxied.
func TestDurableFloorHandler(t *testing.T) {
	_, dbURL := testdb.NewWithURL(t)
	ctx := context.Background()
	if err := createDurableTable(ctx, dbURL); err != nil {
		t.Fatal(err)
	}
	pool, err := openDurablePool(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var syncCommit string
	if err := pool.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&syncCommit); err != nil || syncCommit != "on" {
		t.Fatalf("synchronous_commit %q (%v), want on", syncCommit, err)
	}
	rowCount := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(DISTINCT id) FROM `+durableTable).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// The backend checks that what it is sent is committed already.
	var proxied atomic.Int64
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		body, _ := io.ReadAll(r.Body)
		if r.Method == http.MethodPost {
			var n int
			if err := pool.QueryRow(r.Context(), `SELECT count(*) FROM `+durableTable+` WHERE body = $1`, body).Scan(&n); err != nil || n != 1 {
				t.Errorf("backend got %q, committed %d times (%v), want once", body, n, err)
			}
		}
		_, _ = w.Write(body)
	})
	var logs bytes.Buffer
	var logMu sync.Mutex
	srv := httptest.NewServer(floorHandler(backend, (&groupCommitter{flush: insertRows(pool)}).commit,
		log.New(writerFunc(func(p []byte) (int, error) { logMu.Lock(); defer logMu.Unlock(); return logs.Write(p) }), "", 0)))
	defer srv.Close()
	post := func(body string) (int, string) {
		res, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	const concurrent = 50
	var wg sync.WaitGroup
	for i := range concurrent {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"n":%d}`, i)
			if status, got := post(body); status != http.StatusOK || got != body {
				t.Errorf("POST %s: %d %q", body, status, got)
			}
		}()
	}
	wg.Wait()
	if n := rowCount(); n != concurrent {
		t.Fatalf("%d rows with distinct ids after %d POSTs", n, concurrent)
	}
	res, err := http.Get(srv.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if n := rowCount(); res.StatusCode != http.StatusOK || n != concurrent {
		t.Fatalf("GET: status %d, %d rows, want 200 and no new row", res.StatusCode, n)
	}

	if _, err := pool.Exec(ctx, `DROP TABLE `+durableTable); err != nil {
		t.Fatal(err)
	}
	before := proxied.Load()
	if status, _ := post(`{"n":"lost"}`); status != http.StatusInternalServerError {
		t.Errorf("POST with the insert failing: status %d, want 500", status)
	}
	if proxied.Load() != before {
		t.Error("a request whose commit failed was proxied")
	}
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "durable floor: POST /v1/chat/completions not proxied: durable commit of 1 rows") {
		t.Errorf("log %q lacks the failed commit", logs.String())
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(time.Millisecond)
	}
}
