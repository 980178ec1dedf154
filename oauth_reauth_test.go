package minikafka

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/sasl"
)

// KIP-368 tests with an injected clock and a raw Kafka protocol client, so
// that expiry needs no sleeping.

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testMechanism authenticates any client as the user it names: it exists
// only to exercise the gate's rule against changing mechanisms.
type testMechanism struct{}

func (testMechanism) Name() string                          { return "MINIKAFKA-TEST" }
func (testMechanism) NewSession(sasl.ConnInfo) sasl.Session { return &testSession{} }

type testSession struct{ user string }

func (s *testSession) Step(_ context.Context, tok []byte) ([]byte, bool, error) {
	s.user = string(tok)
	return nil, true, nil
}
func (s *testSession) Identity() sasl.Identity { return sasl.Identity{AuthorizationID: s.user} }

func init() {
	mechanismFactories["MINIKAFKA-TEST"] = func(*Broker, *Listener) (sasl.Mechanism, error) { return testMechanism{}, nil }
}

var (
	issuerKeyOnce sync.Once
	issuerKey     *rsa.PrivateKey
)

// testIssuerKey is one RSA key shared by the tests (generating one per
// broker is slow under -race).
func testIssuerKey(t *testing.T) *rsa.PrivateKey {
	issuerKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		issuerKey = k
	})
	return issuerKey
}

func startReauthBroker(t *testing.T, mut func(*Config)) (*Broker, *testClock, string) {
	t.Helper()
	clock := &testClock{t: time.Unix(1_900_000_000, 0)}
	cfg := Config{
		Listeners: []Listener{{Name: "SASL", Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT", Mechanisms: []string{"OAUTHBEARER", "MINIKAFKA-TEST"}}},
		Now:       clock.Now,
		OAuth:     OAuthConfig{Issuer: OAuthIssuerConfig{Enable: true, Key: testIssuerKey(t)}},
		SASL:      SASLConfig{FailedAuthenticationDelay: -1},
	}
	if mut != nil {
		mut(&cfg)
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b, clock, b.Addr("SASL")
}

// rawConn is a minimal Kafka client speaking kmsg over one connection.
type rawConn struct {
	t    *testing.T
	nc   net.Conn
	br   *bufio.Reader
	corr int32
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// do sends req and reads its response; a closed connection is returned as
// io.EOF (or a reset).
func (c *rawConn) do(req kmsg.Request) (kmsg.Response, error) {
	c.corr++
	buf := kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw")).AppendRequest(nil, req, c.corr)
	_ = c.nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.nc.Write(buf); err != nil {
		return nil, err
	}
	var size [4]byte
	if _, err := io.ReadFull(c.br, size[:]); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c.br, body); err != nil {
		return nil, err
	}
	if got := int32(binary.BigEndian.Uint32(body)); got != c.corr {
		return nil, fmt.Errorf("correlation id %d, want %d", got, c.corr)
	}
	body = body[4:]
	resp := req.ResponseKind()
	if resp.IsFlexible() && req.Key() != 18 {
		body = body[1:] // empty tagged fields of the response header
	}
	if err := resp.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("decoding %T: %w", resp, err)
	}
	return resp, nil
}

func (c *rawConn) handshake(mech string) *kmsg.SASLHandshakeResponse {
	c.t.Helper()
	req := kmsg.NewPtrSASLHandshakeRequest()
	req.Version = 1
	req.Mechanism = mech
	resp, err := c.do(req)
	if err != nil {
		c.t.Fatalf("SaslHandshake: %v", err)
	}
	return resp.(*kmsg.SASLHandshakeResponse)
}

func (c *rawConn) authenticate(auth []byte) *kmsg.SASLAuthenticateResponse {
	c.t.Helper()
	req := kmsg.NewPtrSASLAuthenticateRequest()
	req.Version = 2
	req.SASLAuthBytes = auth
	resp, err := c.do(req)
	if err != nil {
		c.t.Fatalf("SaslAuthenticate: %v", err)
	}
	return resp.(*kmsg.SASLAuthenticateResponse)
}

func (c *rawConn) metadata() error {
	req := kmsg.NewPtrMetadataRequest()
	req.Version = 9
	_, err := c.do(req)
	return err
}

func oauthCIR(tok string) []byte { return []byte("n,,\x01auth=Bearer " + tok + "\x01\x01") }

func mint(t *testing.T, b *Broker, sub string, ttl time.Duration) string {
	t.Helper()
	tok, err := b.MintToken(sub, nil, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// login authenticates with OAUTHBEARER and returns SessionLifetimeMs.
func (c *rawConn) login(tok string) int64 {
	c.t.Helper()
	if hs := c.handshake("OAUTHBEARER"); hs.ErrorCode != 0 {
		c.t.Fatalf("handshake error %d", hs.ErrorCode)
	}
	a := c.authenticate(oauthCIR(tok))
	if a.ErrorCode != 0 {
		c.t.Fatalf("authenticate error %d %v", a.ErrorCode, errMsg(a.ErrorMessage))
	}
	return a.SessionLifetimeMillis
}

func errMsg(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func expectClosed(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("request answered, want the connection closed")
	}
	var ne net.Error
	if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "reset") && !(errors.As(err, &ne) && !ne.Timeout()) {
		t.Fatalf("want a closed connection, got %v", err)
	}
}

func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

func TestReauthSessionLifetime(t *testing.T) {
	tests := map[string]struct {
		ttl       time.Duration
		maxReauth time.Duration
		legacy    bool
		want      int64
	}{
		"token exp, no max (Kafka >= 3.3)": {ttl: 10 * time.Minute, want: 600_000},
		"max shorter than token":           {ttl: 10 * time.Minute, maxReauth: time.Minute, want: 60_000},
		"token shorter than max":           {ttl: 2 * time.Minute, maxReauth: time.Hour, want: 120_000},
		"legacy 2.x, no max: no expiry":    {ttl: 10 * time.Minute, legacy: true, want: 0},
		"legacy 2.x with max":              {ttl: 10 * time.Minute, maxReauth: time.Minute, legacy: true, want: 60_000},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b, _, addr := startReauthBroker(t, func(c *Config) {
				c.SASL.MaxReauth = tc.maxReauth
				c.SASL.LegacyTokenExpiry = tc.legacy
			})
			c := dialRaw(t, addr)
			if got := c.login(mint(t, b, "alice", tc.ttl)); got != tc.want {
				t.Fatalf("SessionLifetimeMs = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestReauthLazyExpiry(t *testing.T) {
	b, clock, addr := startReauthBroker(t, nil)
	c := dialRaw(t, addr)
	c.login(mint(t, b, "alice", time.Minute))
	clock.Add(59 * time.Second)
	if err := c.metadata(); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	clock.Add(2 * time.Second)
	// Expiry is lazy: nothing happens until the next request, which is
	// closed without a response.
	expectClosed(t, c.metadata())
	if n := counter(t, b.Registry(), "minikafka_expired_connections_killed_total", nil); n != 1 {
		t.Fatalf("expired kills = %v", n)
	}
	// With the legacy switch the expired session keeps its connection.
	b2, clock2, addr2 := startReauthBroker(t, func(c *Config) { c.SASL.LegacyTokenExpiry = true })
	c2 := dialRaw(t, addr2)
	c2.login(mint(t, b2, "alice", time.Minute))
	clock2.Add(time.Hour)
	if err := c2.metadata(); err != nil {
		t.Fatalf("legacy: %v", err)
	}
}

func TestReauthFlow(t *testing.T) {
	b, clock, addr := startReauthBroker(t, nil)
	c := dialRaw(t, addr)
	c.login(mint(t, b, "alice", time.Minute))
	clock.Add(50 * time.Second)
	// Re-authenticate with a fresh token for the same principal.
	if got := c.login(mint(t, b, "alice", 2*time.Minute)); got != 120_000 {
		t.Fatalf("re-auth lifetime %d", got)
	}
	if n := counter(t, b.Registry(), "minikafka_reauthentications_total", map[string]string{"result": "success"}); n != 1 {
		t.Fatalf("reauth successes = %v", n)
	}
	clock.Add(30 * time.Second) // past the first token's exp
	if err := c.metadata(); err != nil {
		t.Fatalf("after re-auth: %v", err)
	}
	// A second re-authentication is fine 30 s later; within 1 s of it a
	// handshake gets ILLEGAL_SASL_STATE and the connection stays open.
	c.login(mint(t, b, "alice", 2*time.Minute))
	clock.Add(500 * time.Millisecond)
	if hs := c.handshake("OAUTHBEARER"); hs.ErrorCode != 34 || len(hs.SupportedMechanisms) != 0 {
		t.Fatalf("handshake within 1 s: %+v", hs)
	}
	if err := c.metadata(); err != nil {
		t.Fatalf("after refused re-auth: %v", err)
	}
	// An expired session cannot be saved by a handshake within 1 s of the
	// last re-authentication: the handshake is closed like any request.
	clock.Add(time.Second)
	if got := c.login(mint(t, b, "alice", time.Second)); got != 500 { // exp is in whole seconds
		t.Fatalf("lifetime %d", got)
	}
	clock.Add(600 * time.Millisecond)
	req := kmsg.NewPtrSASLHandshakeRequest()
	req.Version = 1
	req.Mechanism = "OAUTHBEARER"
	_, err := c.do(req)
	expectClosed(t, err)
}

func TestReauthSessionWithoutExpiry(t *testing.T) {
	// The legacy switch without connections.max.reauth.ms leaves the
	// session without expiry: a handshake is answered ILLEGAL_SASL_STATE.
	b, _, addr := startReauthBroker(t, func(c *Config) { c.SASL.LegacyTokenExpiry = true })
	c := dialRaw(t, addr)
	c.login(mint(t, b, "alice", time.Minute))
	if hs := c.handshake("OAUTHBEARER"); hs.ErrorCode != 34 {
		t.Fatalf("handshake: %+v", hs)
	}
	if err := c.metadata(); err != nil {
		t.Fatal(err)
	}
}

func TestReauthPrincipalChange(t *testing.T) {
	b, _, addr := startReauthBroker(t, nil)
	c := dialRaw(t, addr)
	c.login(mint(t, b, "alice", time.Minute))
	if hs := c.handshake("OAUTHBEARER"); hs.ErrorCode != 0 {
		t.Fatalf("handshake %d", hs.ErrorCode)
	}
	a := c.authenticate(oauthCIR(mint(t, b, "bob", time.Minute)))
	if a.ErrorCode != 58 || errMsg(a.ErrorMessage) != "Cannot change principals during re-authentication from User.alice: User.bob" {
		t.Fatalf("got %d %q", a.ErrorCode, errMsg(a.ErrorMessage))
	}
	expectClosed(t, c.metadata())
	if n := counter(t, b.Registry(), "minikafka_reauthentications_total", map[string]string{"result": "failure"}); n != 1 {
		t.Fatalf("reauth failures = %v", n)
	}
}

func TestReauthMechanismChange(t *testing.T) {
	b, _, addr := startReauthBroker(t, nil)
	c := dialRaw(t, addr)
	c.login(mint(t, b, "alice", time.Minute))
	// Another enabled mechanism: the handshake is answered normally, the
	// next packet fails the re-authentication with no response.
	if hs := c.handshake("MINIKAFKA-TEST"); hs.ErrorCode != 0 {
		t.Fatalf("handshake %d", hs.ErrorCode)
	}
	req := kmsg.NewPtrSASLAuthenticateRequest()
	req.Version = 2
	req.SASLAuthBytes = []byte("alice")
	_, err := c.do(req)
	expectClosed(t, err)
	if n := counter(t, b.Registry(), "minikafka_reauthentications_total", map[string]string{"result": "failure"}); n != 1 {
		t.Fatalf("failed re-authentications = %v", n)
	}
}

func TestHandshakeUnsupportedMechanismCloses(t *testing.T) {
	_, _, addr := startReauthBroker(t, nil)
	c := dialRaw(t, addr)
	hs := c.handshake("GSSAPI")
	if hs.ErrorCode != 33 || strings.Join(hs.SupportedMechanisms, ",") != "OAUTHBEARER,MINIKAFKA-TEST" {
		t.Fatalf("handshake: %+v", hs)
	}
	expectClosed(t, c.metadata())
}
