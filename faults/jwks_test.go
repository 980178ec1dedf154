package faults

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"

	"github.com/minikafka/minikafka"
)

// idp is an identity provider's JWKS endpoint whose behaviour the test
// switches: ok (serves the public keys), down (closes the connection
// without answering), hold (answers only once released, or never if the
// client gives up first: a JWKS slower than the fetch timeout), garbage
// (an HTML error page with status 200) and nokeys (valid JSON without a
// usable key).
type idp struct {
	t    *testing.T
	srv  *httptest.Server
	mode atomic.Value // string

	mu      sync.Mutex
	keys    map[string]*rsa.PrivateKey
	release chan struct{}
	held    atomic.Int64 // requests being held right now
}

func newIDP(t *testing.T) *idp {
	p := &idp{t: t, keys: map[string]*rsa.PrivateKey{}, release: make(chan struct{})}
	p.mode.Store("ok")
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(func() {
		p.setMode("ok")
		p.srv.Close()
	})
	return p
}

func (p *idp) url() string { return p.srv.URL + "/jwks" }

// setMode switches the behaviour; leaving hold answers the held requests.
func (p *idp) setMode(m string) {
	p.mu.Lock()
	if p.mode.Load() == "hold" && m != "hold" {
		close(p.release)
		p.release = make(chan struct{})
	}
	p.mode.Store(m)
	p.mu.Unlock()
}

func (p *idp) serve(w http.ResponseWriter, r *http.Request) {
	switch p.mode.Load() {
	case "down":
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("no hijacker")
		}
		c, _, err := hj.Hijack()
		if err == nil {
			_ = c.Close()
		}
		return
	case "hold":
		p.mu.Lock()
		rel := p.release
		p.mu.Unlock()
		p.held.Add(1)
		select {
		case <-rel:
		case <-r.Context().Done():
		}
		p.held.Add(-1)
	case "garbage":
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body><h1>502 Bad Gateway</h1></body></html>"))
		return
	case "nokeys":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"keys":[{"kty":"none-such","kid":"junk","use":"sig"}]}`))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(p.jwks())
}

// addKey generates an RSA key under kid; it is published from then on.
func (p *idp) addKey(kid string) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.keys[kid] = k
	p.mu.Unlock()
}

func (p *idp) jwks() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	set := jwk.NewSet()
	for kid, k := range p.keys {
		pk, err := jwk.FromRaw(&k.PublicKey)
		if err != nil {
			panic(err)
		}
		_ = pk.Set(jwk.KeyIDKey, kid)
		_ = pk.Set(jwk.KeyUsageKey, "sig")
		_ = pk.Set(jwk.AlgorithmKey, jwa.RS256)
		_ = set.AddKey(pk)
	}
	b, err := json.Marshal(set)
	if err != nil {
		panic(err)
	}
	return b
}

// token signs an access token for sub with the key kid.
func (p *idp) token(kid, sub string) string {
	p.mu.Lock()
	k := p.keys[kid]
	p.mu.Unlock()
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{
		"iss": "https://idp.faults", "aud": "kafka", "sub": sub,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	h := jws.NewHeaders()
	_ = h.Set(jws.KeyIDKey, kid)
	tok, err := jws.Sign(claims, jws.WithKey(jwa.RS256, k, jws.WithProtectedHeaders(h)))
	if err != nil {
		p.t.Fatal(err)
	}
	return string(tok)
}

func (p *idp) mech(kid, sub string) sasl.Mechanism {
	return oauth.Auth{Token: p.token(kid, sub)}.AsMechanism()
}

// startOAuthBroker starts an in-process broker whose OAUTHBEARER listener
// validates against the idp's JWKS, configured with Kafka's keys and a
// 200 ms refresh period; fetchTimeout bounds each JWKS request.
func startOAuthBroker(t *testing.T, p *idp, fetchTimeout time.Duration) (string, *logBuffer, *prometheus.Registry) {
	t.Helper()
	props, err := minikafka.ParseProperties(strings.NewReader(strings.Join([]string{
		"listeners=SASL_PLAINTEXT://127.0.0.1:0",
		"sasl.enabled.mechanisms=OAUTHBEARER",
		"listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class=" + minikafka.OAuthSecureHandler,
		"sasl.oauthbearer.jwks.endpoint.url=" + p.url(),
		"sasl.oauthbearer.jwks.endpoint.refresh.ms=200",
		"sasl.oauthbearer.jwks.endpoint.retry.backoff.ms=50",
		"sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms=200",
		"sasl.oauthbearer.expected.audience=kafka",
		"sasl.oauthbearer.expected.issuer=https://idp.faults",
		"connection.failed.authentication.delay.ms=0",
	}, "\n")), "jwks.properties")
	if err != nil {
		t.Fatal(err)
	}
	var cfg minikafka.Config
	if _, err := props.Apply(&cfg); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	cfg.Logger = logs.logger()
	reg := prometheus.NewRegistry()
	cfg.Registry = reg
	hc := &http.Client{Timeout: fetchTimeout}
	cfg.OAuth.HTTPClient = hc
	for name, v := range cfg.OAuth.Listeners {
		v.HTTPClient = hc
		cfg.OAuth.Listeners[name] = v
	}
	b, err := minikafka.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = b.Close()
		if t.Failed() {
			t.Logf("--- broker log ---\n%s", logs.String())
		}
	})
	return b.Addr("SASL_PLAINTEXT"), logs, reg
}

// TestJWKSOutage breaks the JWKS endpoint of a running broker in four
// ways. In each: a session opened before keeps producing; a new login
// with a token signed by a cached key still succeeds (a failed refresh
// keeps the previous keys, as Kafka's RefreshingHttpsJwks); a new login
// with a token signed by a key the IdP rotated in during the outage fails,
// and the broker log says why (the refresh error); once the endpoint is
// back, that token logs in without a restart. A JWKS that parses but holds
// no usable key replaces the cached keys (as in Kafka): then every new
// login fails, with a log line saying so, until the endpoint serves keys
// again.
func TestJWKSOutage(t *testing.T) {
	p := newIDP(t)
	p.addKey("key-0")
	addr, logs, reg := startOAuthBroker(t, p, 500*time.Millisecond)
	jwksMetric := func(name string) float64 {
		return counterValue(t, reg, name, map[string]string{"url": p.url()})
	}
	ctx := testContext(t)
	existing := client(t, addr, p.mech("key-0", "svc-existing"), kgo.AllowAutoTopicCreation())
	if err := produceOne(ctx, existing, "jwks-faults", "before"); err != nil {
		t.Fatalf("produce before the outage: %v", err)
	}

	for _, tc := range []struct {
		mode   string
		reason string // in the scheduled-refresh warning and the failed login's reason
	}{
		{"down", "EOF"},
		{"hold", "Client.Timeout exceeded"}, // slower than the 500 ms fetch timeout
		{"garbage", "parsing JWKS"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			ctx := testContext(t)
			mark := logs.mark()
			failures := jwksMetric("minikafka_oauth_jwks_fetch_failures_total")
			keys := jwksMetric("minikafka_oauth_jwks_keys")
			kid := "key-" + tc.mode
			p.setMode(tc.mode)
			p.addKey(kid) // rotated in while the endpoint is broken
			logs.waitLogSince(t, mark, "OAuth JWKS refresh of "+p.url()+" encountered an error; not updating local JWKS cache", "trigger=scheduled", tc.reason)

			if err := produceOne(ctx, existing, "jwks-faults", "during "+tc.mode); err != nil {
				t.Errorf("the session opened before the outage cannot produce: %v", err)
			}
			if err := login(ctx, addr, p.mech("key-0", "svc-cached-key")); err != nil {
				t.Errorf("a token signed by a cached key no longer logs in: %v", err)
			}
			if err := login(ctx, addr, p.mech(kid, "svc-new-key")); err == nil {
				t.Fatalf("a token signed by %s (not in the cached JWKS, endpoint %s) logged in", kid, tc.mode)
			}
			line := logs.waitLogSince(t, mark, "OAUTHBEARER: token validation failed", `kid \"`+kid+`\"`)
			for _, want := range []string{"Unable to find a suitable verification key", kid, "the JWKS refresh failed", tc.reason} {
				if !strings.Contains(line, want) {
					t.Errorf("the failed login's log line lacks %q: %s", want, line)
				}
			}

			if n := jwksMetric("minikafka_oauth_jwks_fetch_failures_total"); n <= failures {
				t.Errorf("minikafka_oauth_jwks_fetch_failures_total stayed at %v during the outage", n)
			}
			if n := jwksMetric("minikafka_oauth_jwks_keys"); n != keys {
				t.Errorf("minikafka_oauth_jwks_keys went from %v to %v during the outage (the cached keys must stay)", keys, n)
			}

			p.setMode("ok")
			waitFor(t, "a login with "+kid+" once the endpoint is back", func() bool {
				return login(ctx, addr, p.mech(kid, "svc-new-key")) == nil
			})
			if err := produceOne(ctx, existing, "jwks-faults", "after "+tc.mode); err != nil {
				t.Errorf("the session opened before the outage cannot produce after it: %v", err)
			}
		})
	}

	t.Run("no usable key", func(t *testing.T) {
		ctx := testContext(t)
		mark := logs.mark()
		p.setMode("nokeys")
		logs.waitLogSince(t, mark, "the JWKS has no usable signature verification key", p.url())
		if n := jwksMetric("minikafka_oauth_jwks_keys"); n != 0 {
			t.Errorf("minikafka_oauth_jwks_keys = %v with a keyless JWKS, want 0", n)
		}
		if err := produceOne(ctx, existing, "jwks-faults", "during nokeys"); err != nil {
			t.Errorf("the session opened before cannot produce: %v", err)
		}
		if err := login(ctx, addr, p.mech("key-0", "svc-nokeys")); err == nil {
			t.Fatal("a login succeeded while the JWKS holds no usable key")
		}
		line := logs.waitLogSince(t, mark, "OAUTHBEARER: token validation failed", `kid \"key-0\"`)
		if !strings.Contains(line, "Unable to find a suitable verification key") {
			t.Errorf("the failed login's log line does not say why: %s", line)
		}
		p.setMode("ok")
		waitFor(t, "a login once the endpoint serves keys again", func() bool {
			return login(ctx, addr, p.mech("key-0", "svc-nokeys")) == nil
		})
	})
}

// TestJWKSSlowDoesNotStall: while the JWKS endpoint holds a request (a
// refresh triggered by a login with an unknown kid, well within the fetch
// timeout), other logins and the traffic of open sessions go on; the held
// login completes once the endpoint answers. Nothing here depends on
// timing: the held request is answered only when the test releases it,
// and the other operations could not finish at all if they waited for it.
func TestJWKSSlowDoesNotStall(t *testing.T) {
	p := newIDP(t)
	p.addKey("key-0")
	addr, _, _ := startOAuthBroker(t, p, 5*time.Minute)
	ctx := testContext(t)
	existing := client(t, addr, p.mech("key-0", "svc-existing"), kgo.AllowAutoTopicCreation())
	if err := produceOne(ctx, existing, "jwks-slow", "before"); err != nil {
		t.Fatal(err)
	}
	p.setMode("hold")
	p.addKey("key-1")
	held := make(chan error, 1)
	go func() { held <- login(ctx, addr, p.mech("key-1", "svc-held")) }()
	waitFor(t, "the login's JWKS refresh to reach the endpoint", func() bool { return p.held.Load() > 0 })

	if err := produceOne(ctx, existing, "jwks-slow", "while held"); err != nil {
		t.Errorf("an open session cannot produce while a JWKS request is held: %v", err)
	}
	if err := login(ctx, addr, p.mech("key-0", "svc-other")); err != nil {
		t.Errorf("a login with a cached key failed while a JWKS request is held: %v", err)
	}
	select {
	case err := <-held:
		t.Fatalf("the login waiting for the JWKS finished before the endpoint answered: %v", err)
	default:
	}
	p.setMode("ok") // answers the held requests, with key-1 published
	select {
	case err := <-held:
		if err != nil {
			t.Errorf("the held login failed once the endpoint answered: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the held login never finished")
	}
}
