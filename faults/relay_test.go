package faults

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// relay is a TCP relay in front of a server that the test can stall:
// while stalled, bytes it reads are held (in both directions, on open and
// new connections) until it resumes. A stalled relay is a server that
// accepts connections and requests but never answers.
type relay struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	gate  chan struct{} // non-nil while stalled; closed on resume
	conns map[net.Conn]struct{}
	done  chan struct{}
	held  atomic.Int64 // reads waiting at the gate
}

func newRelay(t *testing.T, target string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, target: target, conns: map[net.Conn]struct{}{}, done: make(chan struct{})}
	go r.accept()
	t.Cleanup(r.close)
	return r
}

func (r *relay) addr() string { return r.ln.Addr().String() }

func (r *relay) stall() {
	r.mu.Lock()
	if r.gate == nil {
		r.gate = make(chan struct{})
	}
	r.mu.Unlock()
}

func (r *relay) resume() {
	r.mu.Lock()
	if r.gate != nil {
		close(r.gate)
		r.gate = nil
	}
	r.mu.Unlock()
}

func (r *relay) close() {
	r.mu.Lock()
	select {
	case <-r.done:
	default:
		close(r.done)
	}
	for c := range r.conns {
		_ = c.Close()
	}
	r.mu.Unlock()
	_ = r.ln.Close()
}

func (r *relay) accept() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		go r.serve(c)
	}
}

func (r *relay) serve(c net.Conn) {
	s, err := net.Dial("tcp", r.target)
	if err != nil {
		_ = c.Close()
		return
	}
	r.mu.Lock()
	r.conns[c], r.conns[s] = struct{}{}, struct{}{}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.conns, c)
		delete(r.conns, s)
		r.mu.Unlock()
		_ = c.Close()
		_ = s.Close()
	}()
	go r.pipe(s, c)
	r.pipe(c, s)
}

// pipe copies src to dst, holding each chunk while the relay is stalled.
func (r *relay) pipe(dst, src net.Conn) {
	defer func() { _ = dst.Close(); _ = src.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !r.pass() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // io.EOF or a closed connection: the deferred closes end both sides
		}
	}
}

// pass waits while the relay is stalled; false once it is closed.
func (r *relay) pass() bool {
	r.mu.Lock()
	g := r.gate
	r.mu.Unlock()
	if g == nil {
		return true
	}
	r.held.Add(1)
	defer r.held.Add(-1)
	select {
	case <-g:
		return true
	case <-r.done:
		return false
	}
}
