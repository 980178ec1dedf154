package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
)

// leanConn is one authenticated Kafka connection driven request by
// request, with kmsg for the encoding and franz-go's client-side SASL
// mechanisms for the exchange. It holds a single socket and no background
// goroutine, so a thousand of them cost little on the client side.
type leanConn struct {
	addr     string
	clientID string
	mech     sasl.Mechanism
	timeout  time.Duration

	nc       net.Conn
	br       *bufio.Reader
	f        *kmsg.RequestFormatter
	corr     int32
	wbuf     []byte
	rbuf     []byte
	versions [kmsg.MaxKey + 1]int16 // the broker's max version, -1: not served
}

// dialLean connects and authenticates: ApiVersions v3, SaslHandshake v1,
// SaslAuthenticate rounds until the mechanism is done.
func dialLean(ctx context.Context, addr, clientID string, mech sasl.Mechanism, timeout time.Duration) (*leanConn, error) {
	c := &leanConn{addr: addr, clientID: clientID, mech: mech, timeout: timeout,
		f: kmsg.NewRequestFormatter(kmsg.FormatterClientID(clientID))}
	if err := c.connect(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *leanConn) connect(ctx context.Context) error {
	d := net.Dialer{Timeout: c.timeout}
	nc, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	c.nc = nc
	if c.br == nil {
		c.br = bufio.NewReaderSize(nc, 16<<10)
	} else {
		c.br.Reset(nc)
	}
	for i := range c.versions {
		c.versions[i] = -1
	}
	av := kmsg.NewPtrApiVersionsRequest()
	av.Version = 3
	av.ClientSoftwareName, av.ClientSoftwareVersion = "minikafka-load", "1.0.0"
	resp, err := c.roundTrip(av)
	if err != nil {
		c.close()
		return fmt.Errorf("ApiVersions: %w", err)
	}
	avr := resp.(*kmsg.ApiVersionsResponse)
	if err := kerr.ErrorForCode(avr.ErrorCode); err != nil {
		c.close()
		return fmt.Errorf("ApiVersions: %w", err)
	}
	for _, k := range avr.ApiKeys {
		if k.ApiKey >= 0 && int(k.ApiKey) < len(c.versions) {
			c.versions[k.ApiKey] = k.MaxVersion
		}
	}
	if c.mech != nil {
		if err := c.authenticate(ctx); err != nil {
			c.close()
			return fmt.Errorf("SASL %s: %w", c.mech.Name(), err)
		}
	}
	return nil
}

func (c *leanConn) authenticate(ctx context.Context) error {
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version = 1
	hs.Mechanism = c.mech.Name()
	resp, err := c.roundTrip(hs)
	if err != nil {
		return fmt.Errorf("SaslHandshake: %w", err)
	}
	if err := kerr.ErrorForCode(resp.(*kmsg.SASLHandshakeResponse).ErrorCode); err != nil {
		return fmt.Errorf("SaslHandshake: %w", err)
	}
	session, write, err := c.mech.Authenticate(ctx, c.addr)
	if err != nil {
		return err
	}
	for done := false; !done; {
		req := kmsg.NewPtrSASLAuthenticateRequest()
		req.SASLAuthBytes = write
		resp, err := c.roundTrip(req)
		if err != nil {
			return fmt.Errorf("SaslAuthenticate: %w", err)
		}
		ar := resp.(*kmsg.SASLAuthenticateResponse)
		if err := kerr.ErrorForCode(ar.ErrorCode); err != nil {
			msg := ""
			if ar.ErrorMessage != nil {
				msg = *ar.ErrorMessage
			}
			return fmt.Errorf("SaslAuthenticate: %w: %s", err, msg)
		}
		if done, write, err = session.Challenge(ar.SASLAuthBytes); err != nil {
			return err
		}
		if done && len(write) > 0 {
			return errors.New("the mechanism has a final client message; SaslAuthenticate needs none")
		}
	}
	return nil
}

// version returns the version to send req at: the highest both kmsg and
// the broker know.
func (c *leanConn) version(req kmsg.Request) (int16, error) {
	v := c.versions[req.Key()]
	if req.Key() == 18 {
		return 3, nil
	}
	if v < 0 {
		return 0, fmt.Errorf("the broker does not serve %s", kmsg.NameForKey(req.Key()))
	}
	return min(v, req.MaxVersion()), nil
}

// roundTrip sends req (at the negotiated version unless it is ApiVersions
// or SASL, which carry theirs) and reads its response within the
// connection's timeout.
func (c *leanConn) roundTrip(req kmsg.Request) (kmsg.Response, error) {
	switch req.Key() {
	case 18, 17, 36:
		if req.Key() == 36 {
			req.SetVersion(min(max(c.versions[36], 0), 2))
		}
	default:
		v, err := c.version(req)
		if err != nil {
			return nil, err
		}
		req.SetVersion(v)
	}
	c.corr++
	c.wbuf = c.f.AppendRequest(c.wbuf[:0], req, c.corr)
	_ = c.nc.SetDeadline(time.Now().Add(c.timeout))
	if _, err := c.nc.Write(c.wbuf); err != nil {
		return nil, err
	}
	var size [4]byte
	if _, err := io.ReadFull(c.br, size[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(size[:]))
	if n < 4 || n > 256<<20 {
		return nil, fmt.Errorf("response size %d", n)
	}
	if cap(c.rbuf) < n {
		c.rbuf = make([]byte, n)
	}
	body := c.rbuf[:n]
	if _, err := io.ReadFull(c.br, body); err != nil {
		return nil, err
	}
	if got := int32(binary.BigEndian.Uint32(body)); got != c.corr {
		return nil, fmt.Errorf("correlation id %d, want %d", got, c.corr)
	}
	body = body[4:]
	resp := req.ResponseKind()
	if resp.IsFlexible() && req.Key() != 18 {
		// Response header v1: tagged fields.
		ntags, k := binary.Uvarint(body)
		if k <= 0 {
			return nil, errors.New("bad response header tags")
		}
		body = body[k:]
		for i := uint64(0); i < ntags; i++ {
			_, k1 := binary.Uvarint(body)
			if k1 <= 0 {
				return nil, errors.New("bad response header tag")
			}
			l, k2 := binary.Uvarint(body[k1:])
			if k2 <= 0 || uint64(len(body)-k1-k2) < l {
				return nil, errors.New("bad response header tag")
			}
			body = body[k1+k2+int(l):]
		}
	}
	if err := resp.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("decoding %s v%d: %w", kmsg.NameForKey(req.Key()), req.GetVersion(), err)
	}
	return resp, nil
}

// reconnect replaces a broken connection (same address and mechanism).
func (c *leanConn) reconnect(ctx context.Context) error {
	c.close()
	return c.connect(ctx)
}

func (c *leanConn) close() {
	if c.nc != nil {
		_ = c.nc.Close()
	}
}
