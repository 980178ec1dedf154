package broker

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/principal"
	"github.com/minikafka/minikafka/protocol"
	"github.com/minikafka/minikafka/sasl"
)

// authState is the per-connection authentication state (Kafka's
// SaslServerAuthenticator states, plus the legacy raw-token state).
type authState int8

const (
	stateInitial       authState = iota // SASL: ApiVersions or SaslHandshake expected
	stateHandshake                      // SASL: after ApiVersions, only SaslHandshake
	stateAuthenticate                   // SASL: SaslAuthenticate rounds (handshake v1)
	stateRawToken                       // SASL: raw tokens (handshake v0)
	stateAuthenticated                  // requests are served
	stateFailed                         // closing after a failure
)

type outMsg struct {
	buf   []byte
	pool  *[]byte               // buf's pooled storage, returned once written
	vec   *protocol.VectorFrame // instead of buf: written with writev, then pooled
	close bool                  // close after writing buf
}

// respBufs pools the buffers handleFrame encodes responses into; writeLoop
// returns them once written (bufio copies them), unless they grew large.
var respBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

const maxPooledResp = 64 << 10

type conn struct {
	b    *Broker
	l    *listener
	nc   net.Conn
	addr netip.Addr
	host string

	out       chan outMsg
	done      chan struct{}
	closeOnce sync.Once

	state   authState
	subject *principal.Subject
	rc      authorizer.RequestContext

	// SASL exchange in progress.
	mech      sasl.Mechanism
	sess      sasl.Session
	hsVersion int16
	reauth    bool // the exchange in progress is a re-authentication
	// authenticated session.
	authMech      string
	sessionExpiry time.Time // zero: never
	lastReauth    time.Time
	clientID      string

	frameLen int // size of the frame being handled (see handleProduce)
}

// The connection buffers are pooled: allocating (and clearing) 96 KiB per
// connection was a fifth of the CPU of short-lived authenticated
// connections (go run ./bench/authconns). ReadFrame copies every frame out
// of the reader, so nothing refers to a buffer once it is back in the pool.
var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 32<<10) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 64<<10) }}
)

func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.nc.Close()
	})
}

func (c *conn) serve() {
	defer c.b.wg.Done()
	defer c.b.dropConn(c)
	defer c.close()
	defer c.countAbandoned()
	c.rc.Host = c.host
	c.rc.Listener = c.l.cfg.Name
	if tc, ok := c.nc.(*tls.Conn); ok {
		ctx, cancel := context.WithTimeout(c.b.ctx, 10*time.Second)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			c.b.log.Info("TLS handshake failed", "listener", c.l.cfg.Name, "client", c.host, "err", err)
			c.b.m.authResult(c.l.cfg.Name, "SSL", resultFailure, reasonTLSHandshake)
			return
		}
	}
	if !c.l.sasl {
		if err := c.authenticateTransport(); err != nil {
			c.b.log.Info("failed authentication", "listener", c.l.cfg.Name, "client", c.host, "err", err)
			return
		}
	}
	writerDone := make(chan struct{})
	go c.writeLoop(writerDone)
	defer func() { <-writerDone }()
	defer close(c.out)
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(c.nc)
	defer func() { br.Reset(nil); readerPool.Put(br) }()
	for {
		if c.b.cfg.IdleTimeout > 0 {
			_ = c.nc.SetReadDeadline(time.Now().Add(c.b.cfg.IdleTimeout))
		}
		if c.b.closing.Load() {
			return
		}
		limit := c.b.cfg.MaxRequestBytes
		if c.state != stateAuthenticated {
			limit = c.b.cfg.MaxSaslReceiveBytes
		}
		frame, err := protocol.ReadFrame(br, limit)
		if err != nil {
			c.logReadError(err)
			return
		}
		c.l.m.in(len(frame) + 4)
		if !c.handleFrame(frame) {
			return
		}
	}
}

func (c *conn) logReadError(err error) {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return
	case errors.Is(err, os.ErrDeadlineExceeded):
		if c.b.closing.Load() {
			return
		}
		c.b.log.Info("closing idle connection", "listener", c.l.cfg.Name, "client", c.host, "idle", c.b.cfg.IdleTimeout)
	default:
		var fe *protocol.FrameSizeError
		if errors.As(err, &fe) && c.state != stateAuthenticated && c.l.sasl {
			// An AuthenticationException in Kafka: closed after the delay.
			c.b.log.Info(fmt.Sprintf("Failed authentication with %s (Failing SASL authentication due to invalid receive size)", c.host), "listener", c.l.cfg.Name, "err", err)
			c.countFailure(reasonInvalidReceiveSize)
			c.delayFailure()
			return
		}
		c.b.log.Info("closing connection: bad frame", "listener", c.l.cfg.Name, "client", c.host, "err", err)
	}
}

// writeLoop writes responses in order, coalescing writes. With an idle
// timeout, writes that stay blocked that long (a client that no longer
// reads its responses) close the connection: Kafka counts both directions
// as activity for connections.max.idle.ms, and a blocked writer would
// otherwise hold the connection, its responses and the read loop forever.
func (c *conn) writeLoop(done chan struct{}) {
	defer close(done)
	bw := writerPool.Get().(*bufio.Writer)
	bw.Reset(c.nc)
	defer func() { bw.Reset(nil); writerPool.Put(bw) }()
	var armed time.Time // when the write deadline was last pushed back
	for m := range c.out {
		if idle := c.b.cfg.IdleTimeout; idle > 0 {
			if now := time.Now(); now.Sub(armed) > idle/8 {
				_ = c.nc.SetWriteDeadline(now.Add(idle))
				armed = now
			}
		}
		var err error
		if m.vec != nil {
			err = c.writeVector(bw, m.vec)
		} else {
			_, err = bw.Write(m.buf)
		}
		m.recycle()
		if err == nil && m.close {
			_ = bw.Flush()
			c.close()
			continue
		}
		if err == nil && len(c.out) == 0 {
			err = bw.Flush()
		}
		if err != nil {
			c.writeFailed(err)
		}
	}
	_ = bw.Flush()
}

// writeFailed closes the connection after a failed write (the remaining
// responses are drained and dropped); a write that timed out is logged.
func (c *conn) writeFailed(err error) {
	select {
	case <-c.done:
		return // already closed
	default:
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.b.log.Info("closing connection: the client does not read its responses", "listener", c.l.cfg.Name, "client", c.host, "blocked_for", c.b.cfg.IdleTimeout)
	}
	c.close()
}

// writeVector writes a frame holding references to stored bytes: with one
// writev on TCP (after what bw holds), through bw otherwise (TLS), so the
// referenced bytes are never copied into a response buffer.
func (c *conn) writeVector(bw *bufio.Writer, f *protocol.VectorFrame) error {
	bufs := f.Buffers()
	if tc, ok := c.nc.(*net.TCPConn); ok {
		if err := bw.Flush(); err != nil {
			return err
		}
		_, err := bufs.WriteTo(tc)
		return err
	}
	for _, b := range bufs {
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// vectorFrames pools response frames; Reset drops their references to
// stored batches before they are pooled.
var vectorFrames = sync.Pool{New: func() any { return new(protocol.VectorFrame) }}

// recycle returns the pooled storage of a message once it is written.
func (m *outMsg) recycle() {
	if m.vec != nil {
		m.vec.Reset()
		if m.vec.BufCap() <= 1<<20 {
			vectorFrames.Put(m.vec)
		}
	}
	if m.pool != nil && cap(*m.pool) <= maxPooledResp {
		respBufs.Put(m.pool)
	}
}

// vectored is a response that encodes itself into a VectorFrame, by
// reference to stored bytes (Fetch).
type vectored interface {
	encode(f *protocol.VectorFrame, h protocol.Header)
}

func (c *conn) send(buf []byte, closeAfter bool) {
	c.l.m.out(len(buf))
	select {
	case c.out <- outMsg{buf: buf, close: closeAfter}:
	case <-c.done:
	}
}

// handleFrame processes one frame; false closes the connection.
func (c *conn) handleFrame(frame []byte) bool {
	switch c.state {
	case stateRawToken:
		return c.rawToken(frame)
	case stateFailed:
		return false
	}
	key, version, _, ok := protocol.PeekHeader(frame)
	if !ok {
		c.b.log.Info("closing connection: frame shorter than a request header", "listener", c.l.cfg.Name, "client", c.host, "size", len(frame))
		return false
	}
	if c.state != stateAuthenticated {
		if !c.gateAllows(frame, key) {
			return false
		}
	} else if !c.sessionExpiry.IsZero() && c.b.now().After(c.sessionExpiry) && (key != keySaslHandshake || !c.canReauth()) {
		// KIP-368 lazy expiry: only a SaslHandshake that can start a
		// re-authentication passes an expired session.
		c.b.log.Info("closing connection: session expired", "listener", c.l.cfg.Name, "client", c.host, "principal", c.subject.User.String(), "expired", c.sessionExpiry)
		c.b.m.expiredKilled(c.l.cfg.Name)
		return false
	}
	req, err := protocol.Decode(frame)
	if err != nil {
		return c.decodeFailed(key, version, err)
	}
	c.clientID = req.ClientID
	c.frameLen = len(frame)
	h := handlers[req.Key]
	if h == nil { // advertised without a handler: a bug the table test catches
		c.b.log.Error("no handler for advertised api", "key", req.Key)
		return false
	}
	start := time.Now()
	c.rc.APIKey = req.Key
	resp, err := c.call(h, req)
	c.b.m.request(req.Key, req.Version, time.Since(start))
	if err != nil {
		c.b.log.Info("closing connection", "listener", c.l.cfg.Name, "client", c.host, "api", kmsg.NameForKey(req.Key), "version", req.Version, "err", err)
		return false
	}
	if v, ok := resp.(vectored); ok {
		resp.SetVersion(req.Version)
		f := vectorFrames.Get().(*protocol.VectorFrame)
		v.encode(f, req.Header)
		c.l.m.out(f.Len())
		select {
		case c.out <- outMsg{vec: f}:
		case <-c.done:
		}
	} else if resp != nil {
		resp.SetVersion(req.Version)
		bp := respBufs.Get().(*[]byte)
		buf := protocol.AppendResponse((*bp)[:0], req.Header, resp)
		*bp = buf
		c.l.m.out(len(buf))
		select {
		case c.out <- outMsg{buf: buf, pool: bp}:
		case <-c.done:
		}
	}
	return c.state != stateFailed
}

// call runs a handler; a panic (a bug, never input: decoding already
// succeeded) is logged with its stack and closes this connection only.
func (c *conn) call(h handlerFunc, req *protocol.Request) (resp kmsg.Response, err error) {
	defer func() {
		if r := recover(); r != nil {
			c.b.log.Error("handler panic", "listener", c.l.cfg.Name, "client", c.host, "api", kmsg.NameForKey(req.Key), "version", req.Version, "panic", r, "stack", string(debug.Stack()))
			resp, err = nil, fmt.Errorf("handler panic: %v", r)
		}
	}()
	return h(c, req)
}

// decodeFailed handles a frame that could not be decoded: an ApiVersions
// with an unsupported version gets a v0 UNSUPPORTED_VERSION answer listing
// the ApiVersions versions we serve, as Kafka does (KIP-511), and the
// connection stays open; everything else is logged and closes this
// connection only.
func (c *conn) decodeFailed(key, version int16, err error) bool {
	var de *protocol.DecodeError
	if key == keyApiVersions && errors.Is(err, protocol.ErrUnsupportedVersion) && errors.As(err, &de) {
		c.b.log.Debug("unsupported ApiVersions version, answering with v0", "listener", c.l.cfg.Name, "client", c.host, "version", version)
		resp := protocol.ApiVersionsUnsupportedResponse()
		h := de.Header
		h.Version = 0
		h.Flexible = false
		c.send(protocol.AppendResponse(nil, h, resp), false)
		return true
	}
	c.b.log.Info("closing connection: undecodable request", "listener", c.l.cfg.Name, "client", c.host, "key", key, "version", version, "err", err)
	return false
}

const (
	keyApiVersions      = 18
	keySaslHandshake    = 17
	keySaslAuthenticate = 36
)

// handlerFunc serves one request. A nil response sends nothing (acks=0); an
// error is logged and closes the connection.
type handlerFunc func(c *conn, r *protocol.Request) (kmsg.Response, error)

var handlers [128]handlerFunc

// register installs the handler of an API key; called from init in the
// file of each API.
func register(key int16, h handlerFunc) { handlers[key] = h }
