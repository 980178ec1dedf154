package ldap

import (
	"context"
	"sync"

	goldap "github.com/go-ldap/ldap/v3"
)

// pool holds up to size bound connections. A lookup takes one for its
// duration, so at most size lookups talk to the directory at once and the
// others wait for a connection (or their context), never for a lock held
// across a network call.
type pool struct {
	dial  func() (*goldap.Conn, error)
	slots chan struct{} // one token per open connection
	idle  chan *pooledConn

	mu     sync.Mutex
	closed bool
}

type pooledConn struct {
	*goldap.Conn
	reused bool // it served a call before
}

func newPool(size int, dial func() (*goldap.Conn, error)) *pool {
	return &pool{dial: dial, slots: make(chan struct{}, size), idle: make(chan *pooledConn, size)}
}

// get returns an idle connection, or a new one if fewer than size are
// open, or waits for one to come back.
func (p *pool) get(ctx context.Context) (*pooledConn, error) {
	for {
		select {
		case c := <-p.idle:
			if c.IsClosing() {
				p.drop(c)
				continue
			}
			c.reused = true
			return c, nil
		default:
		}
		select {
		case c := <-p.idle:
			if c.IsClosing() {
				p.drop(c)
				continue
			}
			c.reused = true
			return c, nil
		case p.slots <- struct{}{}:
			c, err := p.dial()
			if err != nil {
				<-p.slots
				return nil, err
			}
			return &pooledConn{Conn: c}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// put returns a connection; an unhealthy one is closed.
func (p *pool) put(c *pooledConn, healthy bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !healthy || p.closed {
		p.drop(c)
		return
	}
	p.idle <- c // cannot block: each open connection has a slot
}

func (p *pool) drop(c *pooledConn) {
	_ = c.Close()
	<-p.slots
}

// close closes the idle connections; busy ones are closed when put back.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for {
		select {
		case c := <-p.idle:
			p.drop(c)
		default:
			return
		}
	}
}
