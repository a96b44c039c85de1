package testmail

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards TCP connections to a target and can cut each new
// connection after a number of bytes from the server, as a dropped link
// would.
type Proxy struct {
	ln     net.Listener
	target string
	cut    atomic.Int64
	mu     sync.Mutex
	conns  []net.Conn
	// Cuts counts connections the proxy has cut.
	Cuts atomic.Int32
}

// NewProxy listens on loopback and forwards to target until the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(p.close)
	return p
}

// Addr is the proxy's "host:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// CutAfter makes connections opened from now on close after n bytes have
// come from the server; 0 forwards without limit.
func (p *Proxy) CutAfter(n int64) { p.cut.Store(n) }

func (p *Proxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, client, server)
		p.mu.Unlock()
		limit := p.cut.Load()
		go func() {
			io.Copy(server, client)
			server.Close()
		}()
		go func() {
			if limit > 0 {
				if n, _ := io.CopyN(client, server, limit); n == limit {
					p.Cuts.Add(1)
				}
			} else {
				io.Copy(client, server)
			}
			client.Close()
			server.Close()
		}()
	}
}

func (p *Proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}
