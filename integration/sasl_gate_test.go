package integration

// Raw-socket tests of the SASL state machine (spec authentication.md §1):
// every frame is written and read by hand with kmsg, so that what the
// broker sends (or does not send) is observed exactly.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/xdg-go/scram"

	"github.com/minikafka/minikafka"
)

type rawConn struct {
	t    *testing.T
	nc   net.Conn
	br   *bufio.Reader
	corr int32
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// send writes a request with a v1/v2 request header.
func (c *rawConn) send(req kmsg.Request) int32 {
	c.t.Helper()
	if err := c.trySend(req); err != nil {
		c.t.Fatal(err)
	}
	return c.corr
}

// trySend writes a request with a v1/v2 request header, reporting a write
// failure (the broker may already have closed the connection).
func (c *rawConn) trySend(req kmsg.Request) error {
	c.corr++
	b := binary.BigEndian.AppendUint16(nil, uint16(req.Key()))
	b = binary.BigEndian.AppendUint16(b, uint16(req.GetVersion()))
	b = binary.BigEndian.AppendUint32(b, uint32(c.corr))
	b = binary.BigEndian.AppendUint16(b, 4)
	b = append(b, "test"...)
	if req.IsFlexible() {
		b = append(b, 0)
	}
	b = req.AppendTo(b)
	if _, err := c.nc.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)); err != nil {
		return fmt.Errorf("writing %s: %w", kmsg.NameForKey(req.Key()), err)
	}
	return nil
}

func (c *rawConn) writeFrame(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(binary.BigEndian.AppendUint32(nil, uint32(len(b)))); err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawConn) readFrame() ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(c.br, size[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(size[:]))
	_, err := io.ReadFull(c.br, b)
	return b, err
}

// recv reads the response to req (sent with send) into resp.
func (c *rawConn) recv(req kmsg.Request, resp kmsg.Response) {
	c.t.Helper()
	b, err := c.readFrame()
	if err != nil {
		c.t.Fatalf("reading %s response: %v", kmsg.NameForKey(req.Key()), err)
	}
	if got := int32(binary.BigEndian.Uint32(b)); got != c.corr {
		c.t.Fatalf("correlation id %d, want %d", got, c.corr)
	}
	b = b[4:]
	resp.SetVersion(req.GetVersion())
	if resp.IsFlexible() && req.Key() != 18 {
		b = b[1:]
	}
	if err := resp.ReadFrom(b); err != nil {
		c.t.Fatalf("decoding %s response: %v", kmsg.NameForKey(req.Key()), err)
	}
}

func (c *rawConn) roundTrip(req kmsg.Request) kmsg.Response {
	c.t.Helper()
	c.send(req)
	resp := req.ResponseKind()
	c.recv(req, resp)
	return resp
}

// expectClosed asserts the broker closes the connection without sending
// anything more.
func (c *rawConn) expectClosed() {
	c.t.Helper()
	b, err := c.readFrame()
	if err == nil {
		c.t.Fatalf("expected the connection to close, got a %d-byte frame", len(b))
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		c.t.Fatalf("expected EOF, got %v", err)
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}

func apiVersions(v int16) *kmsg.ApiVersionsRequest {
	r := kmsg.NewPtrApiVersionsRequest()
	r.SetVersion(v)
	r.ClientSoftwareName, r.ClientSoftwareVersion = "minikafka-test", "1.0"
	return r
}

func handshake(v int16, mech string) *kmsg.SASLHandshakeRequest {
	r := kmsg.NewPtrSASLHandshakeRequest()
	r.SetVersion(v)
	r.Mechanism = mech
	return r
}

func authenticate(v int16, token string) *kmsg.SASLAuthenticateRequest {
	r := kmsg.NewPtrSASLAuthenticateRequest()
	r.SetVersion(v)
	r.SASLAuthBytes = []byte(token)
	return r
}

func metadata() *kmsg.MetadataRequest {
	r := kmsg.NewPtrMetadataRequest()
	r.SetVersion(9)
	return r
}

// plainLogin performs ApiVersions, SaslHandshake v1 and SaslAuthenticate v2.
func (c *rawConn) plainLogin(user, pass string) *kmsg.SASLAuthenticateResponse {
	c.t.Helper()
	c.roundTrip(apiVersions(3))
	return c.plainHandshakeLogin(user, pass)
}

// plainHandshakeLogin performs SaslHandshake v1 and SaslAuthenticate v2.
func (c *rawConn) plainHandshakeLogin(user, pass string) *kmsg.SASLAuthenticateResponse {
	c.t.Helper()
	hs := c.roundTrip(handshake(1, "PLAIN")).(*kmsg.SASLHandshakeResponse)
	if hs.ErrorCode != 0 {
		c.t.Fatalf("handshake error %d", hs.ErrorCode)
	}
	return c.roundTrip(authenticate(2, "\x00"+user+"\x00"+pass)).(*kmsg.SASLAuthenticateResponse)
}

func TestSASLGateRequestBeforeHandshake(t *testing.T) {
	_, addr, logs := startSASL(t)
	t.Run("metadata first", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.send(metadata())
		c.expectClosed()
	})
	t.Run("api versions twice", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.roundTrip(apiVersions(3))
		c.send(apiVersions(3))
		c.expectClosed()
	})
	t.Run("metadata after api versions", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.roundTrip(apiVersions(3))
		c.send(metadata())
		c.expectClosed()
	})
	t.Run("authenticate before handshake", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.send(authenticate(2, "\x00alice\x00alice-secret"))
		c.expectClosed()
	})
	mustContain(t, "broker log", logs.String(), "Invalid request, potential reasons: kafka client configured with the wrong security protocol")
}

func TestSASLGateUnsupportedApiVersionsVersion(t *testing.T) {
	_, addr, _ := startSASL(t)
	c := dialRaw(t, addr)
	// ApiVersions v99: answered as v0 with UNSUPPORTED_VERSION, state kept.
	req := apiVersions(99)
	c.send(req)
	b, err := c.readFrame()
	if err != nil {
		t.Fatal(err)
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(0)
	if err := resp.ReadFrom(b[4:]); err != nil || resp.ErrorCode != kerr.UnsupportedVersion.Code {
		t.Fatalf("v0 response %+v, %v", resp, err)
	}
	// As Kafka, the v0 error response lists only ApiVersions itself; the
	// client retries with a version from it and gets the full table.
	if len(resp.ApiKeys) != 1 || resp.ApiKeys[0].ApiKey != 18 {
		t.Fatalf("v0 error response lists %+v, want only ApiVersions", resp.ApiKeys)
	}
	r := c.roundTrip(apiVersions(3)).(*kmsg.ApiVersionsResponse)
	if r.ErrorCode != 0 {
		t.Fatalf("retry: %d", r.ErrorCode)
	}
	found := false
	for _, k := range r.ApiKeys {
		if k.ApiKey == 17 && k.MinVersion == 0 {
			found = true // librdkafka needs SaslHandshake v0 advertised
		}
	}
	if !found {
		t.Fatal("SaslHandshake v0 not advertised")
	}
	if r := c.plainHandshakeLogin("alice", "alice-secret"); r.ErrorCode != 0 {
		t.Fatalf("login: %d", r.ErrorCode)
	}
}

func TestSASLGateUnsupportedMechanism(t *testing.T) {
	const delay = 200 * time.Millisecond
	_, addr, logs := startSASL(t, func(c *minikafka.Config) { c.SASL.FailedAuthenticationDelay = delay })
	c := dialRaw(t, addr)
	c.roundTrip(apiVersions(3))
	start := time.Now()
	hs := c.roundTrip(handshake(1, "GSSAPI")).(*kmsg.SASLHandshakeResponse)
	// A lower bound only: the broker may not answer before the delay.
	if elapsed := time.Since(start); elapsed < delay {
		t.Fatalf("UNSUPPORTED_SASL_MECHANISM answered after %v, before connection.failed.authentication.delay.ms", elapsed)
	}
	if hs.ErrorCode != kerr.UnsupportedSaslMechanism.Code {
		t.Fatalf("error %d, want 33", hs.ErrorCode)
	}
	if len(hs.SupportedMechanisms) != 3 {
		t.Fatalf("enabled mechanisms %v", hs.SupportedMechanisms)
	}
	c.expectClosed()
	mustContain(t, "broker log", logs.String(), "Failed authentication with 127.0.0.1 (Unsupported SASL mechanism GSSAPI)")
}

func TestSASLGateFailedLogin(t *testing.T) {
	const delay = 150 * time.Millisecond
	_, addr, _ := startSASL(t, func(c *minikafka.Config) { c.SASL.FailedAuthenticationDelay = delay })
	tests := map[string]struct{ token, msg string }{
		"wrong password": {"\x00alice\x00nope", "Authentication failed: Invalid username or password"},
		"one token":      {"alice", "Invalid SASL/PLAIN response: expected 3 tokens, got 1"},
		"empty password": {"\x00alice\x00", "Authentication failed: password not specified"},
		"authzid":        {"bob\x00alice\x00alice-secret", "Authentication failed: Client requested an authorization id that is different from username"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := dialRaw(t, addr)
			c.roundTrip(apiVersions(3))
			c.roundTrip(handshake(1, "PLAIN"))
			start := time.Now()
			r := c.roundTrip(authenticate(2, tc.token)).(*kmsg.SASLAuthenticateResponse)
			if elapsed := time.Since(start); elapsed < delay { // lower bound only
				t.Fatalf("failure answered after %v, before the delay", elapsed)
			}
			if r.ErrorCode != kerr.SaslAuthenticationFailed.Code || r.ErrorMessage == nil || *r.ErrorMessage != tc.msg {
				t.Fatalf("response %d %v, want 58 %q", r.ErrorCode, r.ErrorMessage, tc.msg)
			}
			c.expectClosed()
		})
	}
}

func TestSASLGateAfterAuthentication(t *testing.T) {
	_, addr, _ := startSASL(t)
	c := dialRaw(t, addr)
	if r := c.plainLogin("alice", "alice-secret"); r.ErrorCode != 0 || r.SessionLifetimeMillis != 0 {
		t.Fatalf("login %d lifetime %d", r.ErrorCode, r.SessionLifetimeMillis)
	}
	hs := c.roundTrip(handshake(1, "PLAIN")).(*kmsg.SASLHandshakeResponse)
	if hs.ErrorCode != kerr.IllegalSaslState.Code || len(hs.SupportedMechanisms) != 0 {
		t.Fatalf("handshake after auth: %d %v", hs.ErrorCode, hs.SupportedMechanisms)
	}
	au := c.roundTrip(authenticate(2, "x")).(*kmsg.SASLAuthenticateResponse)
	if au.ErrorCode != kerr.IllegalSaslState.Code || au.ErrorMessage == nil || *au.ErrorMessage != "SaslAuthenticate request received after successful authentication" {
		t.Fatalf("authenticate after auth: %d %v", au.ErrorCode, au.ErrorMessage)
	}
	// The connection stays usable.
	md := c.roundTrip(metadata()).(*kmsg.MetadataResponse)
	if len(md.Brokers) != 1 {
		t.Fatalf("metadata after auth: %+v", md)
	}
}

func TestSASLGateIllegalStateDuringAuthentication(t *testing.T) {
	_, addr, logs := startSASL(t, func(c *minikafka.Config) { c.SASL.FailedAuthenticationDelay = -1 })
	t.Run("api versions gets its own error response", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.roundTrip(apiVersions(3))
		c.roundTrip(handshake(1, "PLAIN"))
		r := c.roundTrip(apiVersions(3)).(*kmsg.ApiVersionsResponse)
		if r.ErrorCode != kerr.IllegalSaslState.Code {
			t.Fatalf("error %d, want ILLEGAL_SASL_STATE", r.ErrorCode)
		}
		c.expectClosed()
	})
	t.Run("metadata gets per-topic errors", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.roundTrip(apiVersions(3))
		c.roundTrip(handshake(1, "SCRAM-SHA-256"))
		md := metadata()
		md.Topics = []kmsg.MetadataRequestTopic{{Topic: kmsg.StringPtr("orders")}}
		r := c.roundTrip(md).(*kmsg.MetadataResponse)
		if len(r.Topics) != 1 || r.Topics[0].ErrorCode != kerr.IllegalSaslState.Code || *r.Topics[0].Topic != "orders" {
			t.Fatalf("metadata error response %+v", r.Topics)
		}
		c.expectClosed()
	})
	t.Run("produce: closed without response", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.roundTrip(apiVersions(3))
		c.roundTrip(handshake(1, "PLAIN"))
		p := kmsg.NewPtrProduceRequest()
		p.SetVersion(9)
		p.Acks = -1
		c.send(p)
		c.expectClosed()
	})
	mustContain(t, "broker log", logs.String(), "Unexpected Kafka request of type API_VERSIONS during SASL authentication.")
	mustContain(t, "broker log", logs.String(), "Unexpected Kafka request of type METADATA during SASL authentication.")
}

func TestSASLGateMaxReceiveSize(t *testing.T) {
	_, addr, logs := startSASL(t, func(c *minikafka.Config) { c.SASL.MaxReceiveBytes = 1024; c.SASL.FailedAuthenticationDelay = -1 })
	t.Run("oversized before auth", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.roundTrip(apiVersions(3))
		c.roundTrip(handshake(1, "PLAIN"))
		c.send(authenticate(2, "\x00alice\x00"+string(make([]byte, 2000))))
		c.expectClosed()
	})
	t.Run("large after auth", func(t *testing.T) {
		c := dialRaw(t, addr)
		if r := c.plainLogin("alice", "alice-secret"); r.ErrorCode != 0 {
			t.Fatal(r.ErrorCode)
		}
		md := metadata()
		for i := 0; i < 100; i++ {
			md.Topics = append(md.Topics, kmsg.MetadataRequestTopic{Topic: kmsg.StringPtr("a-rather-long-topic-name-to-exceed-the-limit")})
		}
		if r := c.roundTrip(md).(*kmsg.MetadataResponse); len(r.Topics) != 100 {
			t.Fatalf("%d topics", len(r.Topics))
		}
	})
	mustContain(t, "broker log", logs.String(), "Failing SASL authentication due to invalid receive size")
}

// TestSASLGateRawTokens covers SaslHandshake v0 followed by unframed
// tokens (kafka-python): PLAIN answers a zero-length frame, SCRAM its
// challenges, and a failure closes the connection without a response.
func TestSASLGateRawTokens(t *testing.T) {
	_, addr, _ := startSASL(t, func(c *minikafka.Config) { c.SASL.FailedAuthenticationDelay = -1 })
	t.Run("plain", func(t *testing.T) {
		c := dialRaw(t, addr)
		if hs := c.roundTrip(handshake(0, "PLAIN")).(*kmsg.SASLHandshakeResponse); hs.ErrorCode != 0 {
			t.Fatal(hs.ErrorCode)
		}
		c.writeFrame([]byte("\x00alice\x00alice-secret"))
		if b, err := c.readFrame(); err != nil || len(b) != 0 {
			t.Fatalf("raw PLAIN reply %q %v, want an empty frame", b, err)
		}
		if md := c.roundTrip(metadata()).(*kmsg.MetadataResponse); len(md.Brokers) != 1 {
			t.Fatal("metadata after raw login")
		}
	})
	t.Run("plain wrong", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.roundTrip(handshake(0, "PLAIN"))
		c.writeFrame([]byte("\x00alice\x00nope"))
		c.expectClosed()
	})
	for _, mech := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			c := dialRaw(t, addr)
			c.roundTrip(apiVersions(3))
			c.roundTrip(handshake(0, mech))
			h := scram.SHA256
			if mech == "SCRAM-SHA-512" {
				h = scram.SHA512
			}
			cl, _ := h.NewClient("bob", "bob-secret", "")
			conv := cl.NewConversation()
			msg, _ := conv.Step("")
			for !conv.Done() {
				c.writeFrame([]byte(msg))
				b, err := c.readFrame()
				if err != nil {
					t.Fatal(err)
				}
				if msg, err = conv.Step(string(b)); err != nil {
					t.Fatal(err)
				}
			}
			if !conv.Valid() {
				t.Fatal("server signature not valid")
			}
			if md := c.roundTrip(metadata()).(*kmsg.MetadataResponse); len(md.Brokers) != 1 {
				t.Fatal("metadata after raw SCRAM login")
			}
		})
	}
}

// TestSASLGateReauthentication covers KIP-368 re-authentication of PLAIN
// sessions (connections.max.reauth.ms): the same user may re-authenticate,
// another principal gets Kafka's message, another mechanism fails with no
// response.
func TestSASLGateReauthentication(t *testing.T) {
	_, addr, logs := startSASL(t, func(c *minikafka.Config) { c.SASL.MaxReauth = time.Hour; c.SASL.FailedAuthenticationDelay = -1 })
	login := func(t *testing.T) *rawConn {
		c := dialRaw(t, addr)
		r := c.plainLogin("alice", "alice-secret")
		if r.ErrorCode != 0 || r.SessionLifetimeMillis != time.Hour.Milliseconds() {
			t.Fatalf("login %d, lifetime %d", r.ErrorCode, r.SessionLifetimeMillis)
		}
		return c
	}
	t.Run("same principal", func(t *testing.T) {
		c := login(t)
		if hs := c.roundTrip(handshake(1, "PLAIN")).(*kmsg.SASLHandshakeResponse); hs.ErrorCode != 0 {
			t.Fatalf("re-auth handshake %d", hs.ErrorCode)
		}
		r := c.roundTrip(authenticate(2, "\x00alice\x00alice-secret")).(*kmsg.SASLAuthenticateResponse)
		if r.ErrorCode != 0 || r.SessionLifetimeMillis <= 0 {
			t.Fatalf("re-auth %d lifetime %d", r.ErrorCode, r.SessionLifetimeMillis)
		}
		if md := c.roundTrip(metadata()).(*kmsg.MetadataResponse); len(md.Brokers) != 1 {
			t.Fatal("metadata after re-authentication")
		}
		// A second re-authentication within a second is refused.
		if hs := c.roundTrip(handshake(1, "PLAIN")).(*kmsg.SASLHandshakeResponse); hs.ErrorCode != kerr.IllegalSaslState.Code {
			t.Fatalf("re-auth within 1s: %d", hs.ErrorCode)
		}
	})
	t.Run("other principal", func(t *testing.T) {
		c := login(t)
		c.roundTrip(handshake(1, "PLAIN"))
		r := c.roundTrip(authenticate(2, "\x00bob\x00bob-secret")).(*kmsg.SASLAuthenticateResponse)
		if r.ErrorCode != kerr.SaslAuthenticationFailed.Code || r.ErrorMessage == nil ||
			*r.ErrorMessage != "Cannot change principals during re-authentication from User.alice: User.bob" {
			t.Fatalf("principal change: %d %v", r.ErrorCode, r.ErrorMessage)
		}
		c.expectClosed()
	})
	t.Run("other mechanism", func(t *testing.T) {
		c := login(t)
		if hs := c.roundTrip(handshake(1, "SCRAM-SHA-256")).(*kmsg.SASLHandshakeResponse); hs.ErrorCode != 0 {
			t.Fatalf("handshake for another enabled mechanism: %d", hs.ErrorCode)
		}
		c.send(authenticate(2, "n,,n=alice,r=abc"))
		c.expectClosed()
	})
	mustContain(t, "broker log", logs.String(), "SASL mechanism 'SCRAM-SHA-256' requested by client is not supported for re-authentication of mechanism 'PLAIN'")
}
