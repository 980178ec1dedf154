package oauthbearer

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/minikafka/minikafka/sasl"
)

// testIDP serves a JWKS over HTTP from an httptest server; its keys can be
// replaced (rotation) and the endpoint can be made to fail.
type testIDP struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	pub  jwk.Set
	hits atomic.Int64
	fail atomic.Bool
}

func newTestIDP(t *testing.T) *testIDP {
	t.Helper()
	p := &testIDP{t: t, pub: jwk.NewSet()}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		if p.fail.Load() {
			http.Error(w, "jwks unavailable", http.StatusServiceUnavailable)
			return
		}
		p.mu.Lock()
		b, err := json.Marshal(p.pub)
		p.mu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *testIDP) url() string { return p.srv.URL + "/jwks" }

// setKeys replaces the published keys by the public halves of keys.
func (p *testIDP) setKeys(keys ...jwk.Key) {
	p.t.Helper()
	set := jwk.NewSet()
	for _, k := range keys {
		pk, err := k.PublicKey()
		if err != nil {
			p.t.Fatal(err)
		}
		if err := set.AddKey(pk); err != nil {
			p.t.Fatal(err)
		}
	}
	p.mu.Lock()
	p.pub = set
	p.mu.Unlock()
}

// newKey generates a private JWK of the type alg needs, with kid.
func newKey(t testing.TB, kid string, alg jwa.SignatureAlgorithm) jwk.Key {
	t.Helper()
	var raw any
	var err error
	switch alg {
	case jwa.RS256, jwa.RS384, jwa.RS512, jwa.PS256, jwa.PS384, jwa.PS512:
		raw, err = rsa.GenerateKey(rand.Reader, 2048)
	case jwa.ES256:
		raw, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jwa.ES384:
		raw, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jwa.EdDSA:
		_, raw, err = ed25519.GenerateKey(rand.Reader)
	default:
		t.Fatalf("no key type for %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	k, err := jwk.FromRaw(raw)
	if err != nil {
		t.Fatal(err)
	}
	_ = k.Set(jwk.KeyIDKey, kid)
	_ = k.Set(jwk.KeyUsageKey, "sig")
	return k
}

// sign builds a JWS with jwx: claims as given (nothing added), headers
// kid from the key plus extra.
func sign(t testing.TB, key jwk.Key, alg jwa.SignatureAlgorithm, claims map[string]any, extra map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	hdr := jws.NewHeaders()
	for k, v := range extra {
		if err := hdr.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

// unsignedJWT builds an alg "none" token with an empty signature.
func unsignedJWT(t testing.TB, header, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c) + "."
}

// stdClaims returns valid claims for sub at now.
func stdClaims(sub string, now time.Time) map[string]any {
	return map[string]any{
		"sub": sub, "iss": "https://idp.test", "aud": "kafka",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "scope": "kafka",
	}
}

// logBuf records log lines as "level=L msg=M k=v ..." with values
// unquoted, so tests can look for reasons verbatim.
type logBuf struct {
	mu    sync.Mutex
	lines []string
}

type recordHandler struct {
	lb    *logBuf
	attrs []slog.Attr
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &recordHandler{lb: h.lb, attrs: append(append([]slog.Attr{}, h.attrs...), as...)}
}
func (h *recordHandler) WithGroup(string) slog.Handler { return h }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	var sb strings.Builder
	sb.WriteString("level=" + r.Level.String() + " msg=" + r.Message)
	add := func(a slog.Attr) bool {
		sb.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	h.lb.mu.Lock()
	h.lb.lines = append(h.lb.lines, sb.String())
	h.lb.mu.Unlock()
	return nil
}

// String returns every line, each ending in a newline.
func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == 0 {
		return ""
	}
	return strings.Join(l.lines, "\n") + "\n"
}

func newLog() (*slog.Logger, *logBuf) {
	lb := &logBuf{}
	return slog.New(&recordHandler{lb: lb}), lb
}

func initialResponse(token string, ext ...string) []byte {
	s := "n,,\x01auth=Bearer " + token + "\x01"
	for i := 0; i+1 < len(ext); i += 2 {
		s += ext[i] + "=" + ext[i+1] + "\x01"
	}
	return []byte(s + "\x01")
}

// step runs one SASL step on a fresh session of m.
func step(m *Mechanism, msg []byte) (sasl.Session, []byte, bool, error) {
	s := m.NewSession(sasl.ConnInfo{Listener: "TEST"})
	c, done, err := s.Step(context.Background(), msg)
	return s, c, done, err
}

func b64(s string) string    { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
func stdB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
func itoa(n int64) string    { return strconv.FormatInt(n, 10) }

// unsecuredRaw builds an alg "none" token around a raw JSON payload.
func unsecuredRaw(payload string) string { return "eyJhbGciOiJub25lIn0." + b64(payload) + "." }
