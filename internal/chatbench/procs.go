package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// child is a process the bench started: the backend, the floor proxy or
// the server. Its stdout and stderr go to a log file in the bench's
// temporary directory, whose tail is shown when something fails.
type child struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	stdin   *os.File // the write end of its stdin, when it has one
	done    chan struct{}
	waitErr error
}

// startChild starts bin with args. With withStdin the child gets a pipe on
// stdin that closes when the bench stops it or dies. With wantLine it
// waits for the first line the child prints on stdout and returns it.
func startChild(ctx context.Context, name, dir string, env []string, withStdin, wantLine bool, bin string, args ...string) (*child, string, error) {
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, "", err
	}
	defer logf.Close() // the child holds its own descriptor
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stderr = logf
	cmd.Stdout = logf
	// If the bench dies without cleaning up, the child is told to stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	var outR, outW, inR, inW *os.File
	if wantLine {
		if outR, outW, err = os.Pipe(); err != nil {
			return nil, "", err
		}
		cmd.Stdout = outW
	}
	if withStdin {
		if inR, inW, err = os.Pipe(); err != nil {
			return nil, "", err
		}
		cmd.Stdin = inR
	}
	err = cmd.Start()
	for _, f := range []*os.File{outW, inR} {
		if f != nil {
			f.Close()
		}
	}
	if err != nil {
		if outR != nil {
			outR.Close()
		}
		if inW != nil {
			inW.Close()
		}
		return nil, "", fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, logPath: logPath, stdin: inW, done: make(chan struct{})}
	go func() { c.waitErr = cmd.Wait(); close(c.done) }()
	if !wantLine {
		return c, "", nil
	}
	lines := make(chan string, 1)
	go func() {
		defer outR.Close()
		br := bufio.NewReader(outR)
		line, _ := br.ReadString('\n')
		lines <- line
		if lf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND, 0); err == nil {
			_, _ = lf.WriteString(line)
			_, _ = io.Copy(lf, br)
			lf.Close()
		} else {
			_, _ = io.Copy(io.Discard, br)
		}
	}()
	select {
	case line := <-lines:
		if line == "" {
			c.stop(time.Second)
			return nil, "", fmt.Errorf("%s printed nothing%s", name, c.tail())
		}
		return c, line, nil
	case <-time.After(30 * time.Second):
	case <-ctx.Done():
	}
	c.stop(time.Second)
	return nil, "", fmt.Errorf("%s did not start in 30 s%s", name, c.tail())
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// exited reports an error when the child is no longer running.
func (c *child) exited() error {
	select {
	case <-c.done:
		return fmt.Errorf("%s exited unexpectedly (%v)%s", c.name, c.waitErr, c.tail())
	default:
		return nil
	}
}

// stop asks the child to stop, and kills it after grace.
func (c *child) stop(grace time.Duration) {
	if c.stdin != nil {
		c.stdin.Close()
		c.stdin = nil
	}
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-c.done:
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// tail returns the end of the child's log, for error messages.
func (c *child) tail() string {
	b, err := os.ReadFile(c.logPath)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 3000 {
		b = b[len(b)-3000:]
		if i := strings.IndexByte(string(b), '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return fmt.Sprintf("\n--- end of the %s log ---\n%s", c.name, b)
}

func mb(kb int) float64 { return float64(kb) / 1024 }

// floorProxyArg selects the hidden floor-proxy mode of this program.
const floorProxyArg = "-floor-proxy"

// floorProxy runs the floor: a bare httputil.ReverseProxy to target that
// flushes every write, with a connection pool large enough never to close
// and reopen backend connections. With a database URL it is the durable
// floor: each POST's body is durably committed (grouped with concurrent
// ones, see groupCommitter) before it is proxied. It prints its address and
// serves until its stdin closes (the bench stopped or died) or it is
// interrupted.
func floorProxy(target, dbURL string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var commit func(body []byte) error
	if dbURL != "" {
		pool, err := openDurablePool(ctx, dbURL)
		if err != nil {
			return fmt.Errorf("durable floor database: %w", err)
		}
		defer pool.Close()
		commit = (&groupCommitter{flush: insertRows(pool)}).commit
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	rp.Transport = &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 4096,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	rp.ErrorLog = log.New(os.Stderr, "floor proxy: ", log.LstdFlags)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: floorHandler(rp, commit, rp.ErrorLog), ReadHeaderTimeout: 10 * time.Second, ErrorLog: rp.ErrorLog}
	fmt.Println(ln.Addr().String())
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); stop() }()
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// floorHandler reads each request's body whole and hands the request to
// next. The body is read whole before proxying, as Confidant does too: for
// HTTP/1.1 the server may close the request body once the response starts,
// which races with the transport still reading it for the backend and then
// drops the backend connection mid-answer. When commit is not nil, a POST's
// body is committed first, and a failed commit is logged and answered 500
// without calling next.
func floorHandler(next http.Handler, commit func(body []byte) error, errLog *log.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if commit != nil && r.Method == http.MethodPost {
			if err := commit(body); err != nil {
				errLog.Printf("durable floor: %s %s not proxied: %v", r.Method, r.URL.Path, err)
				http.Error(w, "durable commit failed", http.StatusInternalServerError)
				return
			}
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		next.ServeHTTP(w, r)
	})
}
