package ldap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minikafka/minikafka/principal"
	"github.com/minikafka/minikafka/principal/ldap/ldaptest"
)

// One slapd serves the tests that only read; tests that stop or restart
// the directory start their own.
var shared *ldaptest.Server

func TestMain(m *testing.M) {
	tb := &mainTB{}
	shared = ldaptest.Start(tb)
	code := m.Run()
	tb.cleanup()
	os.Exit(code)
}

// mainTB lets TestMain start a server.
type mainTB struct{ cleanups []func() }

func (*mainTB) Helper()                           {}
func (tb *mainTB) Cleanup(f func())               { tb.cleanups = append(tb.cleanups, f) }
func (*mainTB) Fatalf(format string, args ...any) { log.Fatalf(format, args...) }
func (tb *mainTB) TempDir() string {
	d, err := os.MkdirTemp("", "ldaptest")
	if err != nil {
		log.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}
func (tb *mainTB) cleanup() {
	for i := len(tb.cleanups) - 1; i >= 0; i-- {
		tb.cleanups[i]()
	}
}

func baseConfig(s *ldaptest.Server) Config {
	return Config{
		URL:          s.URL,
		BindDN:       ldaptest.ServiceDN,
		BindPassword: ldaptest.ServicePassword,
		UserBaseDN:   ldaptest.PeopleDN,
		GroupBaseDN:  ldaptest.GroupsDN,
		Nested:       true,
		Timeout:      5 * time.Second,
	}
}

func newResolver(t *testing.T, cfg Config) *Resolver {
	t.Helper()
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func groups(t *testing.T, r *Resolver, user string) string {
	t.Helper()
	g, err := r.Groups(context.Background(), principal.User(user), nil)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(g)
	return fmt.Sprint(g)
}

// TestGroups resolves against the real slapd in both search modes, with
// and without nesting: alice is in kafka-producers directly and in
// platform only through engineering, and engineering and platform form a
// cycle.
func TestGroups(t *testing.T) {
	want := map[bool]map[string]string{
		true: {
			"alice":        "[engineering kafka-producers platform]",
			"bob":          "[kafka-producers]",
			"carol":        "[kafka-admins]",
			"dave":         "[]",
			"nobody":       "[]",
			"*":            "[]", // escaped: not a wildcard
			"alice)(uid=*": "[]",
		},
		false: {
			"alice": "[engineering kafka-producers]",
			"bob":   "[kafka-producers]",
		},
	}
	for _, mode := range []string{ModeMemberOf, ModeGroups} {
		for _, nested := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/nested=%v", mode, nested), func(t *testing.T) {
				cfg := baseConfig(shared)
				cfg.Mode, cfg.Nested = mode, nested
				r := newResolver(t, cfg)
				for user, w := range want[nested] {
					if got := groups(t, r, user); got != w {
						t.Errorf("%s: %s, want %s", user, got, w)
					}
				}
			})
		}
	}
}

func TestMaxDepth(t *testing.T) {
	for _, mode := range []string{ModeMemberOf, ModeGroups} {
		cfg := baseConfig(shared)
		cfg.Mode, cfg.MaxDepth = mode, 1
		if got := groups(t, newResolver(t, cfg), "alice"); got != "[engineering kafka-producers]" {
			t.Errorf("%s depth 1: %s", mode, got)
		}
	}
}

func TestTLS(t *testing.T) {
	ldaps := baseConfig(shared)
	ldaps.URL, ldaps.TLS = shared.LDAPSURL, shared.TLSConfig()
	starttls := baseConfig(shared)
	starttls.StartTLS, starttls.TLS = true, shared.TLSConfig()
	for name, cfg := range map[string]Config{"ldaps": ldaps, "starttls": starttls} {
		t.Run(name, func(t *testing.T) {
			r := newResolver(t, cfg)
			if got := groups(t, r, "alice"); got != "[engineering kafka-producers platform]" {
				t.Fatal(got)
			}
			c, err := r.pool.get(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer r.pool.put(c, true)
			if _, ok := c.TLSConnectionState(); !ok {
				t.Fatal("connection is not TLS")
			}
		})
	}
	// Without the test CA the server certificate is not trusted.
	untrusted := baseConfig(shared)
	untrusted.URL = shared.LDAPSURL
	_, err := New(untrusted)
	if err == nil || !strings.Contains(err.Error(), shared.LDAPSURL) || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted server: %v", err)
	}
}

func TestWrongServicePassword(t *testing.T) {
	cfg := baseConfig(shared)
	cfg.BindPassword = "wrong"
	_, err := New(cfg)
	if err == nil || !strings.Contains(err.Error(), "ldap "+shared.URL+": binding as "+ldaptest.ServiceDN) ||
		!strings.Contains(err.Error(), "Invalid Credentials") {
		t.Fatalf("wrong password: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := map[string]func(*Config){
		"want ldap://host":          func(c *Config) { c.URL = "http://x" },
		"StartTLS is for ldap://":   func(c *Config) { c.URL, c.StartTLS = "ldaps://x", true },
		"unknown search mode":       func(c *Config) { c.Mode = "both" },
		"user base DN is required":  func(c *Config) { c.UserBaseDN = "" },
		"group base DN is required": func(c *Config) { c.Mode, c.GroupBaseDN = ModeGroups, "" },
		"has no password":           func(c *Config) { c.BindPassword = "" },
		"has no {0}":                func(c *Config) { c.UserFilter = "(uid=alice)" },
		"filter \"(uid={0}\"":       func(c *Config) { c.UserFilter = "(uid={0}" },
	}
	for want, mutate := range tests {
		cfg := baseConfig(shared)
		mutate(&cfg)
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", want, err)
		}
	}
}

// TestDirectoryDown: a directory that is down at startup is an error
// naming the URL; one that goes down later fails lookups with the URL in
// the error, and a restarted one is used again (the pool reconnects).
func TestDirectoryDown(t *testing.T) {
	s := ldaptest.Start(t)
	r := newResolver(t, baseConfig(s))
	if got := groups(t, r, "alice"); got != "[engineering kafka-producers platform]" {
		t.Fatal(got)
	}
	s.Stop()
	_, err := r.Groups(context.Background(), principal.User("alice"), nil)
	if err == nil || !strings.Contains(err.Error(), "ldap "+s.URL) {
		t.Fatalf("directory down: %v", err)
	}
	if _, err := New(baseConfig(s)); err == nil || !strings.Contains(err.Error(), "ldap "+s.URL+": connecting") {
		t.Fatalf("startup with the directory down: %v", err)
	}
	s.Restart(t)
	if got := groups(t, r, "alice"); got != "[engineering kafka-producers platform]" {
		t.Fatalf("after restart: %s", got)
	}
}

// TestReconnectAfterRestart: pooled connections broken by a directory
// restart are replaced transparently.
func TestReconnectAfterRestart(t *testing.T) {
	s := ldaptest.Start(t)
	r := newResolver(t, baseConfig(s))
	groups(t, r, "bob")
	s.Restart(t)
	if got := groups(t, r, "bob"); got != "[kafka-producers]" {
		t.Fatal(got)
	}
}

// stallProxy relays TCP to the directory; it can hold the requests of one
// connection (by accept order) to play a directory that hangs for it.
type stallProxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	n       int
	gates   map[int]chan struct{}
	stalled map[int]bool
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target, gates: map[int]chan struct{}{}, stalled: map[int]bool{}}
	t.Cleanup(func() { _ = ln.Close() })
	go p.serve()
	return p
}

func (p *stallProxy) url() string { return "ldap://" + p.ln.Addr().String() }

// stall makes connection i hold its requests until release(i).
func (p *stallProxy) stall(i int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gates[i] = make(chan struct{})
	p.stalled[i] = true
}

func (p *stallProxy) release(i int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalled[i] {
		close(p.gates[i])
		p.stalled[i] = false
	}
}

func (p *stallProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		i := p.n
		p.n++
		p.mu.Unlock()
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		go func() {
			_, _ = io.Copy(c, up)
			_ = c.Close()
		}()
		go func() {
			defer up.Close()
			buf := make([]byte, 32<<10)
			for {
				n, err := c.Read(buf)
				p.mu.Lock()
				gate, stalled := p.gates[i], p.stalled[i]
				p.mu.Unlock()
				if stalled {
					<-gate
				}
				if n > 0 {
					if _, werr := up.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
}

// TestSlowDirectoryDoesNotSerialize: while one lookup hangs on its
// connection, another one completes on a second connection; the hanging
// one ends with the timeout, or with its context.
func TestSlowDirectoryDoesNotSerialize(t *testing.T) {
	p := newStallProxy(t, strings.TrimPrefix(shared.URL, "ldap://"))
	cfg := baseConfig(shared)
	cfg.URL, cfg.PoolSize = p.url(), 2
	r := newResolver(t, cfg) // connection 0, bound, now idle
	p.stall(0)
	slow := make(chan error, 1)
	go func() {
		_, err := r.Groups(context.Background(), principal.User("alice"), nil)
		slow <- err
	}()
	// Wait until the slow lookup holds connection 0, then look bob up.
	for deadline := time.Now().Add(10 * time.Second); len(r.pool.idle) != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the slow lookup never took its connection")
		}
	}
	if got := groups(t, r, "bob"); got != "[kafka-producers]" {
		t.Fatal(got)
	}
	select {
	case err := <-slow:
		t.Fatalf("the stalled lookup finished early: %v", err)
	default:
	}
	p.release(0)
	if err := <-slow; err != nil {
		t.Fatalf("released lookup: %v", err)
	}

	// A directory that never answers: the lookup times out...
	cfg.Timeout = time.Second
	r2 := newResolver(t, cfg) // connection 2
	p.stall(2)
	defer p.release(2)
	_, err := r2.Groups(context.Background(), principal.User("alice"), nil)
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("stalled directory: %v", err)
	}
	// ...and the caller's context cancels a call in flight.
	cfg3 := baseConfig(shared)
	cfg3.URL = p.url()
	r3 := newResolver(t, cfg3) // connection 3
	p.stall(3)
	defer p.release(3)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := r3.Groups(ctx, principal.User("alice"), nil)
		done <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); len(r3.pool.idle) != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the lookup never took its connection")
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled lookup: %v", err)
	}
}
