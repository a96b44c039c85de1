// Command loadgen measures a running `confidant serve` from the outside: its
// idle resident memory, then requests per second and p50/p99 latency for
// /healthz (the baseline: no database, no rendering) and for the sign-in
// page, each under the same loopback load, with the ratio of the two.
//
//	go run ./internal/loadgen -bin ./bin/confidant [-duration 5s] [-workers 8]
//
// It creates a throwaway database, starts the binary on a free port, and
// removes both when done. Timings on shared machines are noisy: compare the
// ratios, not the absolute numbers, across runs.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"confidant/config"
	"confidant/internal/procstat"
)

func main() {
	bin := flag.String("bin", "./bin/confidant", "confidant binary to measure")
	duration := flag.Duration("duration", 5*time.Second, "load duration per endpoint")
	workers := flag.Int("workers", 8, "concurrent connections")
	flag.Parse()
	if err := run(*bin, *duration, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(bin string, duration time.Duration, workers int) error {
	ctx := context.Background()
	admin := os.Getenv("DATABASE_URL")
	if admin == "" {
		admin = config.DefaultDatabaseURL
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to Postgres: %w", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	db := "confidant_loadgen_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		return err
	}
	defer conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)") //nolint:errcheck

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dataDir, err := os.MkdirTemp("", "confidant-loadgen")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dataDir)

	cmd := exec.Command(bin, "serve")
	dbURL := admin + " dbname=" + db
	if strings.HasPrefix(admin, "postgres") {
		dbURL = admin + "?dbname=" + db
	}
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+dbURL,
		fmt.Sprintf("CONFIDANT_ADDR=127.0.0.1:%d", port),
		fmt.Sprintf("CONFIDANT_ORIGIN=http://localhost:%d", port),
		"CONFIDANT_DATA_DIR="+dataDir)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitReady(base + "/readyz"); err != nil {
		return err
	}
	// One request of each kind warms the first-use paths, then let it settle.
	for _, p := range []string{"/healthz", "/login"} {
		if _, err := http.Get(base + p); err != nil {
			return err
		}
	}
	time.Sleep(2 * time.Second)
	idle, err := procstat.RSSKB(cmd.Process.Pid)
	if err != nil {
		return err
	}
	fmt.Printf("idle RSS of confidant serve: %.1f MB (target < 40 MB)\n", float64(idle)/1024)

	results := map[string]result{}
	for _, p := range []string{"/healthz", "/login"} {
		r, err := load(base+p, duration, workers)
		if err != nil {
			return err
		}
		results[p] = r
		fmt.Printf("%-9s %8.0f req/s  p50 %7s  p99 %7s  (%d requests, %d workers, %s)\n", p, r.rps, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.n, workers, duration)
	}
	after, _ := procstat.RSSKB(cmd.Process.Pid)
	h, l := results["/healthz"], results["/login"]
	fmt.Printf("ratio /login to /healthz: throughput %.2f, p50 %.2fx, p99 %.2fx\n", l.rps/h.rps, float64(l.p50)/float64(h.p50), float64(l.p99)/float64(h.p99))
	fmt.Printf("RSS after load: %.1f MB\n", float64(after)/1024)
	return nil
}

type result struct {
	n        int
	rps      float64
	p50, p99 time.Duration
}

// load hammers url with workers keep-alive connections for d.
func load(url string, d time.Duration, workers int) (result, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: workers, DisableCompression: true}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	var mu sync.Mutex
	var lat []time.Duration
	var firstErr error
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			for time.Now().Before(deadline) {
				t0 := time.Now()
				res, err := client.Get(url)
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						err = fmt.Errorf("GET %s: status %d", url, res.StatusCode)
					}
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return result{}, firstErr
	}
	if len(lat) == 0 {
		return result{}, errors.New("no requests completed")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return result{n: len(lat), rps: float64(len(lat)) / d.Seconds(), p50: lat[len(lat)/2], p99: lat[len(lat)*99/100]}, nil
}

func waitReady(url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("server did not become ready in 30 s")
}
