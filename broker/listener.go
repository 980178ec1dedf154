package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

type listener struct {
	cfg        *ListenerConfig
	ln         net.Listener
	advertised string
	mechNames  []string
	sasl       bool
	tls        bool
	m          *listenerMetrics // nil without metrics
}

func (b *Broker) listen(cfg *ListenerConfig) (*listener, error) {
	// SO_KEEPALIVE with the operating system's timings, as Kafka's acceptor
	// sets it (socket.setKeepAlive(true)); Go's default would also set
	// three TCP_KEEP* options on every accepted socket.
	lc := net.ListenConfig{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: -1, Interval: -1, Count: -1}}
	ln, err := lc.Listen(context.Background(), "tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listener %s: %w", cfg.Name, err)
	}
	l := &listener{cfg: cfg, ln: ln, advertised: cfg.Advertised, m: b.m.forListener(cfg.Name)}
	l.sasl = cfg.SecurityProtocol == SaslPlaintext || cfg.SecurityProtocol == SaslSSL
	l.tls = cfg.SecurityProtocol == SSL || cfg.SecurityProtocol == SaslSSL
	for _, m := range cfg.Mechanisms {
		l.mechNames = append(l.mechNames, m.Name())
	}
	bound := ln.Addr().(*net.TCPAddr)
	if l.advertised == "" {
		host, _, _ := net.SplitHostPort(cfg.Addr)
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		l.advertised = net.JoinHostPort(host, fmt.Sprint(bound.Port))
	} else if host, port, err := net.SplitHostPort(l.advertised); err == nil && port == "0" {
		l.advertised = net.JoinHostPort(host, fmt.Sprint(bound.Port))
	}
	return l, nil
}

func (b *Broker) acceptLoop(l *listener) {
	defer b.wg.Done()
	var backoff time.Duration
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Temporary failures (EMFILE): back off, keep serving.
			if backoff == 0 {
				backoff = 5 * time.Millisecond
			} else if backoff < time.Second {
				backoff *= 2
			}
			b.log.Warn("accept failed", "listener", l.cfg.Name, "err", err)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		c := b.newConn(l, nc)
		if c == nil {
			continue
		}
		b.wg.Add(1)
		go c.serve()
	}
}

// newConn registers a connection, enforcing max.connections and
// max.connections.per.ip; it returns nil (and closes nc) when over a limit.
func (b *Broker) newConn(l *listener, nc net.Conn) *conn {
	var addr netip.Addr
	if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		addr = ta.AddrPort().Addr().Unmap()
	} else {
		ap, _ := netip.ParseAddrPort(nc.RemoteAddr().String())
		addr = ap.Addr().Unmap()
	}
	ip := addr.String()
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		_ = nc.Close()
		return nil
	}
	if (b.cfg.MaxConnections > 0 && len(b.conns) >= b.cfg.MaxConnections) ||
		(b.cfg.MaxConnectionsPerIP > 0 && b.perIP[ip] >= b.cfg.MaxConnectionsPerIP) {
		b.mu.Unlock()
		b.log.Info("connection refused: too many connections", "listener", l.cfg.Name, "client", nc.RemoteAddr().String())
		b.m.connRejected(l.cfg.Name)
		_ = nc.Close()
		return nil
	}
	c := &conn{b: b, l: l, nc: nc, addr: addr, host: ip, out: make(chan outMsg, 64), done: make(chan struct{})}
	b.conns[c] = struct{}{}
	b.perIP[ip]++
	b.mu.Unlock()
	l.m.opened()
	if l.tls {
		c.nc = tls.Server(nc, l.cfg.TLS)
	}
	return c
}

func (b *Broker) dropConn(c *conn) {
	b.mu.Lock()
	delete(b.conns, c)
	if b.perIP[c.host]--; b.perIP[c.host] <= 0 {
		delete(b.perIP, c.host)
	}
	b.mu.Unlock()
	c.l.m.closed()
}
