// Command chatbench measures what Confidant adds to a chat, against the
// simulated inference backend, in one run. Part 1 is the time to first
// token (TTFT) under steady load, N clients streaming back to back, for
// DIRECT to the backend, FLOOR through a bare Go reverse proxy, the
// DURABLE FLOOR (floor+commit: the same proxy durably committing each
// request's body to Postgres before proxying it, concurrent commits grouped,
// the least a server that commits the user's message first can add) and
// CONFIDANT through `confidant serve` at its OpenAI-compatible
// /v1/chat/completions, with the latency the floors and Confidant add over
// direct, whether the targets hold, what Confidant adds over the durable
// floor, and the CPU time each durable-floor and Confidant completion
// costs its process and its database. Part 2 is a burst of concurrent
// streaming chats through Confidant: errors, wall time, and the server's
// resident memory at peak against idle. Part 3 is the server render time of
// a conversation of many messages and of the page of a user with many
// conversations, seeded sealed through the app's own store.
//
//	go run ./internal/chatbench [-bin ./bin/confidant] [-duration 5s] [-quick]
//	                            [-clients 10,100] [-async-commit] [-parts 123]
//
// It creates throwaway databases (confidant_chatbench_<rand> for parts 1
// and 2, the same name with _pages for part 3, which gets a fresh server)
// and data directories, starts the backend, the proxy and the servers on
// free loopback ports, and removes all of them when done, on error or on
// Ctrl-C too. The default run takes about two minutes on two cores.
// Timings on shared machines are noisy: compare the ratios and the added
// latencies, which come from the same run, not absolute numbers across runs.
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
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"confidant/config"
	"confidant/internal/procstat"
)

// options are the knobs of one run.
type options struct {
	bin      string
	duration time.Duration // measured load per TTFT configuration and client count
	rounds   int           // the duration is split over this many interleaved rounds
	warmup   time.Duration // unrecorded load before each measured segment
	clients  []int
	burst    int // concurrent streaming chats of part 2
	messages int // messages of the long conversation of part 3
	convs    int // conversations of the heavy user of part 3
	gets     int // GETs per page of part 3
	pageCap  time.Duration

	asyncCommit bool
	parts       string // which parts to run: digits of 1, 2, 3
}

func main() {
	// Children are started from the main goroutine, locked to the main
	// thread, so that their parent-death signal fires when this process
	// ends and not when some runtime thread does.
	runtime.LockOSThread()
	// Hidden mode: the floor's reverse proxy, run as a child of the bench
	// so that it is a separate process like the backend and the server.
	// With a database URL after the backend's, it is the durable floor.
	if (len(os.Args) == 3 || len(os.Args) == 4) && os.Args[1] == floorProxyArg {
		dbURL := ""
		if len(os.Args) == 4 {
			dbURL = os.Args[3]
		}
		if err := floorProxy(os.Args[2], dbURL); err != nil {
			fmt.Fprintln(os.Stderr, "chatbench floor proxy:", err)
			os.Exit(1)
		}
		return
	}
	bin := flag.String("bin", "./bin/confidant", "confidant binary to measure")
	duration := flag.Duration("duration", 5*time.Second, "measured load per TTFT configuration and client count")
	quick := flag.Bool("quick", false, "smoke run: shorter loads and smaller counts")
	asyncCommit := flag.Bool("async-commit", false, "diagnostic: run the throwaway database with synchronous_commit=off, to see how much of what Confidant adds is waiting for the disk")
	clients := flag.String("clients", "10,100", "client counts of part 1, comma-separated")
	parts := flag.String("parts", "123", "parts to run: 1 TTFT, 2 burst, 3 render times (e.g. -parts 1)")
	flag.Parse()
	o := options{bin: *bin, duration: *duration, asyncCommit: *asyncCommit, rounds: 2, warmup: 500 * time.Millisecond,
		burst: 1000, messages: 2000, convs: 10000, gets: 50, pageCap: 40 * time.Second, parts: *parts}
	for _, f := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 1000 {
			fmt.Fprintf(os.Stderr, "chatbench: -clients %q: want counts from 1 to 1000\n", *clients)
			os.Exit(2)
		}
		o.clients = append(o.clients, n)
	}
	if *quick {
		if !isSet("duration") {
			o.duration = time.Second
		}
		o.rounds = 1
		o.warmup = 200 * time.Millisecond
		o.burst, o.messages, o.convs, o.gets, o.pageCap = 200, 200, 1000, 10, 10*time.Second
	}
	if o.duration < 100*time.Millisecond {
		fmt.Fprintln(os.Stderr, "chatbench: -duration must be at least 100ms")
		os.Exit(2)
	}

	// Stop cleanly on Ctrl-C, on kill, on a closed terminal and on a closed
	// stdout (`| head`): the deferred clean-up must run.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	// Bounded whatever happens.
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute+12*o.duration)
	err := run(ctx, o)
	cancel()
	stop()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			err = errors.New("interrupted; the servers and the database are cleaned up")
		}
		fmt.Fprintln(os.Stderr, "chatbench:", err)
		os.Exit(1)
	}
}

// runs reports whether part p is to run.
func (o options) runs(p byte) bool { return strings.IndexByte(o.parts, p) >= 0 }

func isSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// env is what a server and `dev apikey` run with.
type env struct {
	dbURL, dataDir, origin string
	serverPort             int
	backendURL             string
}

func (e env) vars() []string {
	return append(os.Environ(),
		"DATABASE_URL="+e.dbURL,
		fmt.Sprintf("CONFIDANT_ADDR=127.0.0.1:%d", e.serverPort),
		"CONFIDANT_ORIGIN="+e.origin,
		"CONFIDANT_DATA_DIR="+e.dataDir,
		"CONFIDANT_ENCLAVE=simulated",
		"CONFIDANT_REQUIRE_TEE=0",
		"CONFIDANT_REGISTRATION=open",
		"CONFIDANT_BACKEND_URL="+e.backendURL,
		"CONFIDANT_BACKEND_KEY=", // the backend requires no key, so the bench's direct clients need none
		"CONFIDANT_BACKEND_ALLOW=",
	)
}

// bench holds what the parts share.
type bench struct {
	o        options
	bin, tmp string
	admin    string
	conn     *pgx.Conn
	backend  string // the simulated backend's URL
}

func run(ctx context.Context, o options) error {
	start := time.Now()
	bin, err := filepath.Abs(o.bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%w (build it first: go build -o bin/confidant ./cmd/confidant)", err)
	}
	nofile := raiseFileLimit()

	admin := os.Getenv("DATABASE_URL")
	if admin == "" {
		admin = config.DefaultDatabaseURL
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to Postgres: %w", err)
	}
	defer conn.Close(context.Background())
	tmp, err := os.MkdirTemp("", "confidant-chatbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bn := &bench{o: o, bin: bin, tmp: tmp, admin: admin, conn: conn}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	db := "confidant_chatbench_" + hex.EncodeToString(suffix)
	defer bn.dropDatabase(db)
	defer bn.dropDatabase(db + "_pages")

	// The simulated backend, on a port it picks.
	backend, addr, err := startChild(ctx, "devbackend", tmp, os.Environ(), false, true, bin, "devbackend", "--addr", "127.0.0.1:0", "--tokens", "20", "--key=")
	if err != nil {
		return err
	}
	defer backend.stop(5 * time.Second)
	bn.backend = strings.TrimPrefix(strings.TrimSpace(addr), "sim backend listening on ")
	if !strings.HasPrefix(bn.backend, "http://127.0.0.1:") {
		return fmt.Errorf("devbackend said %q, want its loopback URL", addr)
	}

	// The floor: a bare reverse proxy in a child process.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	proxy, paddr, err := startChild(ctx, "floor-proxy", tmp, os.Environ(), true, true, self, floorProxyArg, bn.backend)
	if err != nil {
		return err
	}
	defer proxy.stop(5 * time.Second)
	floorURL := "http://" + strings.TrimSpace(paddr)

	// Confidant for parts 1 and 2.
	server, e, err := bn.startServer(ctx, "serve", db)
	if err != nil {
		return err
	}
	defer server.stop(10 * time.Second)
	key, err := apiKey(ctx, bin, e)
	if err != nil {
		return err
	}
	serverURL := fmt.Sprintf("http://127.0.0.1:%d", e.serverPort)

	// The durable floor: the floor proxy that commits each request to a
	// table of its own in the server's database first.
	if err := createDurableTable(ctx, e.dbURL); err != nil {
		return err
	}
	dproxy, dpaddr, err := startChild(ctx, "durable-floor-proxy", tmp, os.Environ(), true, true, self, floorProxyArg, bn.backend, e.dbURL)
	if err != nil {
		return err
	}
	defer dproxy.stop(5 * time.Second)
	durableURL := "http://" + strings.TrimSpace(dpaddr)
	commit := "synchronous_commit on (each commit waits for the disk)"
	if o.asyncCommit {
		commit = "DIAGNOSTIC synchronous_commit off: the figures are not comparable with a normal run"
	}
	fmt.Printf("chatbench: %s; backend %s, floor proxy %s, durable floor proxy %s, confidant %s; %d CPUs, %s, open files limit %s\n",
		time.Now().Format("2006-01-02 15:04"), bn.backend, floorURL, durableURL, serverURL, runtime.NumCPU(), runtime.Version(), nofile)
	fmt.Printf("setup %.1fs (database %s, %s)\n\n", time.Since(start).Seconds(), db, commit)

	targets := []target{
		{name: "direct", url: bn.backend + "/v1/chat/completions"},
		{name: "floor", url: floorURL + "/v1/chat/completions"},
		{name: durableFloorName, url: durableURL + "/v1/chat/completions"},
		{name: "confidant", url: serverURL + "/v1/chat/completions", key: key},
	}
	// Warm every path once (connections, model catalog, first-use code),
	// then let the server settle for the idle memory reading.
	for _, t := range targets {
		if _, err := streamOnce(ctx, newClient(1), t, ttftBody, nil); err != nil {
			return withTail(ctx, fmt.Errorf("warm-up request to %s: %w", t.name, err), backend, proxy, dproxy, server)
		}
	}
	if err := sleep(ctx, 2*time.Second); err != nil {
		return err
	}
	idle, err := procstat.RSSKB(server.pid())
	if err != nil {
		return err
	}

	if o.runs('1') {
		meters := []cpuMeter{nil, nil, bn.cpuMeter(dproxy.pid(), db, true), bn.cpuMeter(server.pid(), db, false)}
		if err := ttftPart(ctx, o, targets, meters); err != nil {
			return withTail(ctx, err, dproxy, server)
		}
	}
	if o.runs('2') {
		if err := burstPart(ctx, o, targets[3], server, idle); err != nil {
			return withTail(ctx, err, server)
		}
	}
	if err := server.exited(); err != nil {
		return err
	}
	if !o.runs('3') {
		fmt.Printf("\ntotal %.0fs\n", time.Since(start).Seconds())
		return nil
	}
	// Part 3 gets a fresh server and database: the first one is still
	// titling the burst's chats, and its thousands of conversations would
	// slow the seeding (see pagesPart).
	server.stop(3 * time.Second)
	bn.dropDatabase(db)
	pserver, pe, err := bn.startServer(ctx, "serve-pages", db+"_pages")
	if err != nil {
		return err
	}
	defer pserver.stop(10 * time.Second)
	if err := pagesPart(ctx, o, pe, pserver); err != nil {
		return withTail(ctx, err, pserver)
	}
	if err := pserver.exited(); err != nil {
		return err
	}
	fmt.Printf("\ntotal %.0fs\n", time.Since(start).Seconds())
	return nil
}

// withTail adds the end of the children's logs to err, unless the run
// was interrupted.
func withTail(ctx context.Context, err error, children ...*child) error {
	if ctx.Err() != nil {
		return err
	}
	var sb strings.Builder
	for _, c := range children {
		sb.WriteString(c.tail())
	}
	return fmt.Errorf("%w%s", err, sb.String())
}

// startServer creates the database db and a data directory, and starts
// `confidant serve` on them on a free loopback port named in its origin.
func (bn *bench) startServer(ctx context.Context, name, db string) (*child, env, error) {
	if _, err := bn.conn.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		return nil, env{}, err
	}
	if bn.o.asyncCommit {
		if _, err := bn.conn.Exec(ctx, "ALTER DATABASE "+db+" SET synchronous_commit = off"); err != nil {
			return nil, env{}, err
		}
	}
	dbURL := bn.admin + " dbname=" + db
	if strings.HasPrefix(bn.admin, "postgres") {
		sep := "?"
		if strings.Contains(bn.admin, "?") {
			sep = "&"
		}
		dbURL = bn.admin + sep + "dbname=" + db
	}
	port, err := freePort()
	if err != nil {
		return nil, env{}, err
	}
	e := env{dbURL: dbURL, dataDir: filepath.Join(bn.tmp, name+"-data"), backendURL: bn.backend,
		serverPort: port, origin: fmt.Sprintf("http://localhost:%d", port)}
	server, _, err := startChild(ctx, name, bn.tmp, e.vars(), false, false, bn.bin, "serve")
	if err != nil {
		return nil, env{}, err
	}
	if err := waitReady(ctx, fmt.Sprintf("http://127.0.0.1:%d/readyz", port), server); err != nil {
		server.stop(time.Second)
		return nil, env{}, err
	}
	return server, e, nil
}

// cpuMeter meters the server process and the database backends connected
// to db (the server's pool; its connections live for the whole run): the
// durable floor's backends when durable, else all the others.
func (bn *bench) cpuMeter(serverPID int, db string, durable bool) cpuMeter {
	return func(ctx context.Context) (time.Duration, time.Duration, error) {
		server, err := procstat.CPU(serverPID)
		if err != nil {
			return 0, 0, err
		}
		rows, err := bn.conn.Query(ctx, `SELECT pid FROM pg_stat_activity
			WHERE datname = $1 AND pid <> pg_backend_pid() AND (application_name IS NOT DISTINCT FROM $2) = $3`, db, durableAppName, durable)
		if err != nil {
			return 0, 0, err
		}
		pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return 0, 0, err
		}
		var total time.Duration
		for _, pid := range pids {
			if t, err := procstat.CPU(int(pid)); err == nil { // a backend may just have exited
				total += t
			}
		}
		return server, total, nil
	}
}

// dropDatabase drops a throwaway database, if it exists, whoever is
// connected to it.
func (bn *bench) dropDatabase(db string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := bn.conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)"); err != nil {
		fmt.Fprintf(os.Stderr, "chatbench: drop database %s: %v\n", db, err)
	}
}

// raiseFileLimit lifts the soft open-files limit to the hard one: the
// burst holds a socket per chat here, and the server two. Children inherit
// the raised limit (an explicit Setrlimit stops Go from restoring the
// original one for them); the server and the backend, Go programs too,
// would raise their own anyway.
func raiseFileLimit() string {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return "unknown"
	}
	before := lim.Cur
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Sprintf("%d (raise failed: %v)", before, err)
		}
	}
	if before != lim.Cur {
		return fmt.Sprintf("%d, raised from %d (inherited by the children)", lim.Cur, before)
	}
	return fmt.Sprintf("%d (inherited by the children)", lim.Cur)
}

// apiKey runs `confidant dev apikey benchuser` with the server's settings.
func apiKey(ctx context.Context, bin string, e env) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, bin, "dev", "apikey", "benchuser")
	cmd.Env = e.vars()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("dev apikey: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	k := strings.TrimSpace(string(out))
	if k == "" || strings.ContainsAny(k, " \n") {
		return "", fmt.Errorf("dev apikey printed %q, want the key alone", k)
	}
	return k, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(ctx context.Context, url string, c *child) error {
	deadline := time.Now().Add(60 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	for time.Now().Before(deadline) {
		if err := c.exited(); err != nil {
			return err
		}
		res, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return errors.New("server did not become ready in 60 s" + c.tail())
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
