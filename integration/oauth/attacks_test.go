package oauth_test

// JWT attack tokens over a real SASL/OAUTHBEARER login: franz-go presents
// each token to a broker whose secure validator trusts a JWKS served over
// HTTP (httptest, real RSA keys). Every attack must be rejected, with its
// reason in the broker log, and must not authenticate anyone; headers that
// name other keys (jku, x5u, jwk) must be ignored, the attacker's servers
// never contacted. The unit tests in sasl/oauthbearer check the validator's
// messages one by one; this suite checks that the same tokens fail a real
// login end to end.

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/minikafka/minikafka"
)

const (
	attackIssuer   = "https://idp.minikafka.test"
	attackAudience = "kafka"
	attackKid      = "idp-key-1"
	attackMaxSASL  = 16 << 10 // sasl.server.max.receive.size of the test broker
)

var b64 = base64.RawURLEncoding

// jwkOf renders the public half of key as an RSA JWK.
func jwkOf(key *rsa.PrivateKey, kid string) map[string]any {
	return map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": b64.EncodeToString(key.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(key.E)).Bytes())}
}

// jwksServer serves a JWKS of keys and counts its requests.
type jwksServer struct {
	srv  *httptest.Server
	hits atomic.Int64
}

func newJWKSServer(t *testing.T, keys ...map[string]any) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	doc, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *jwksServer) url() string { return s.srv.URL + "/.well-known/jwks.json" }

// compact builds a compact JWS from a header and claims, signed by sign
// (nil: no signature).
func compact(t *testing.T, header, claims map[string]any, sign func(input []byte) []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(c)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(input))
	}
	return input + "." + b64.EncodeToString(sig)
}

func rs256(t *testing.T, key *rsa.PrivateKey) func([]byte) []byte {
	return func(input []byte) []byte {
		sum := sha256.Sum256(input)
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
}

func hs256(secret []byte) func([]byte) []byte {
	return func(input []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(input)
		return m.Sum(nil)
	}
}

func goodClaims(sub string) map[string]any {
	now := time.Now()
	return map[string]any{"sub": sub, "iss": attackIssuer, "aud": attackAudience, "scope": "kafka",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
}

func claimsWith(sub string, f func(map[string]any)) map[string]any {
	c := goodClaims(sub)
	f(c)
	return c
}

func rsHeader(kid string, extra ...any) map[string]any {
	h := map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i].(string)] = extra[i+1]
	}
	return h
}

// startAttackBroker starts a SASL_PLAINTEXT broker with OAUTHBEARER whose
// secure validator trusts idp's JWKS.
func startAttackBroker(t *testing.T, idp *jwksServer, mut func(*minikafka.OAuthValidation)) (*minikafka.Broker, *logBuf) {
	t.Helper()
	lb := &logBuf{}
	v := minikafka.OAuthValidation{JWKSURL: idp.url(), ExpectedAudience: []string{attackAudience}, ExpectedIssuer: attackIssuer}
	if mut != nil {
		mut(&v)
	}
	cfg := minikafka.Config{
		Listeners: []minikafka.Listener{{Name: listenerName, Addr: "127.0.0.1:0", SecurityProtocol: "SASL_PLAINTEXT", Mechanisms: []string{"OAUTHBEARER"}}},
		Logger:    slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OAuth:     minikafka.OAuthConfig{OAuthValidation: v},
	}
	cfg.SASL.MaxReceiveBytes = attackMaxSASL
	cfg.SASL.FailedAuthenticationDelay = -1
	b, err := minikafka.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("broker log:\n%s", lb.String())
		}
	})
	return b, lb
}

// attack is one token and the reason the broker must log for it.
type attack struct {
	name   string
	token  func() string
	reason string // in the WARN line (or the connection-closing line)
	// jwksFetch: whether the unknown kid may make the broker refetch the
	// JWKS (once); false means the JWKS must not be fetched at all.
	jwksFetch bool
	// notLogged must not appear in the log (a client-chosen value that
	// has to be clipped).
	notLogged string
}

// TestJWTAttacksOverSASL presents each attack token with franz-go and
// checks that the login fails, that the reason is logged, that nobody
// authenticated, that failures are counted, and that no attacker URL in a
// header was ever fetched.
func TestJWTAttacksOverSASL(t *testing.T) {
	idpKey, attackerKey := issuerKey(t), newRSAKey(t)
	idp := newJWKSServer(t, jwkOf(idpKey, attackKid))
	// The attacker's own JWKS and certificate URL, which jku / x5u point to.
	evil := newJWKSServer(t, jwkOf(attackerKey, attackKid), jwkOf(attackerKey, "evil-key"))
	b, lb := startAttackBroker(t, idp, nil)
	addr := b.Addr(listenerName)

	valid := compact(t, rsHeader(attackKid), goodClaims("alice"), rs256(t, idpKey))
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: mustMarshalPKIX(t, &idpKey.PublicKey)})
	attacks := []attack{
		{name: "alg none", reason: "JWS algorithm 'none' is not allowed",
			token: func() string {
				return compact(t, map[string]any{"alg": "none", "typ": "JWT"}, goodClaims("admin"), nil)
			}},
		{name: "alg None with the valid signature", reason: "JWS algorithm 'None' is not allowed",
			token: func() string {
				h := b64.EncodeToString([]byte(`{"alg":"None","kid":"` + attackKid + `"}`))
				parts := strings.Split(valid, ".")
				return h + "." + parts[1] + "." + parts[2]
			}},
		{name: "algorithm confusion: HS256 keyed with the RSA public key (PEM)", reason: "JWS algorithm 'HS256' is not allowed",
			token: func() string {
				return compact(t, map[string]any{"alg": "HS256", "kid": attackKid}, goodClaims("admin"), hs256(pubPEM))
			}},
		{name: "algorithm confusion: HS256 keyed with the RSA modulus", reason: "JWS algorithm 'HS256' is not allowed",
			token: func() string {
				return compact(t, map[string]any{"alg": "HS256", "kid": attackKid}, goodClaims("admin"), hs256(idpKey.N.Bytes()))
			}},
		{name: "kid path traversal", reason: `Unable to find a suitable verification key for JWS with kid "../../etc/passwd"`, jwksFetch: true,
			token: func() string {
				return compact(t, rsHeader("../../etc/passwd"), goodClaims("admin"), rs256(t, idpKey))
			}},
		{name: "kid with a NUL and a file URL", reason: `Unable to find a suitable verification key for JWS with kid "file:///etc/passwd\x00"`, jwksFetch: true,
			token: func() string {
				return compact(t, rsHeader("file:///etc/passwd\x00"), goodClaims("admin"), rs256(t, idpKey))
			}},
		{name: "very long kid", reason: "kid longer than 1000 characters never triggers a refresh", notLogged: strings.Repeat("k", 200),
			token: func() string {
				return compact(t, rsHeader(strings.Repeat("k", 4000)), goodClaims("admin"), rs256(t, idpKey))
			}},
		{name: "kid of a missing key", reason: `kid "rotated-away-key"`, jwksFetch: true,
			token: func() string {
				return compact(t, rsHeader("rotated-away-key"), goodClaims("admin"), rs256(t, attackerKey))
			}},
		{name: "jku to the attacker's JWKS, attacker's kid", reason: `kid "evil-key"`, jwksFetch: true,
			token: func() string {
				return compact(t, rsHeader("evil-key", "jku", evil.url()), goodClaims("admin"), rs256(t, attackerKey))
			}},
		{name: "jku to the attacker's JWKS, the IdP's kid", reason: "JWS signature is invalid",
			token: func() string {
				return compact(t, rsHeader(attackKid, "jku", evil.url()), goodClaims("admin"), rs256(t, attackerKey))
			}},
		{name: "x5u to the attacker's server", reason: "JWS signature is invalid",
			token: func() string {
				return compact(t, rsHeader(attackKid, "x5u", evil.srv.URL+"/cert.pem"), goodClaims("admin"), rs256(t, attackerKey))
			}},
		{name: "embedded jwk of the attacker", reason: "JWS signature is invalid",
			token: func() string {
				return compact(t, rsHeader(attackKid, "jwk", jwkOf(attackerKey, attackKid)), goodClaims("admin"), rs256(t, attackerKey))
			}},
		{name: "embedded jwk without kid", reason: "JWS signature is invalid",
			token: func() string {
				h := map[string]any{"alg": "RS256", "jwk": jwkOf(attackerKey, "")}
				return compact(t, h, goodClaims("admin"), rs256(t, attackerKey))
			}},
		{name: "expired", reason: "The JWT is no longer valid",
			token: func() string {
				c := claimsWith("alice", func(c map[string]any) { c["exp"] = time.Now().Add(-10 * time.Minute).Unix() })
				return compact(t, rsHeader(attackKid), c, rs256(t, idpKey))
			}},
		{name: "nbf in the future", reason: "The JWT is not yet valid",
			token: func() string {
				c := claimsWith("alice", func(c map[string]any) { c["nbf"] = time.Now().Add(10 * time.Minute).Unix() })
				return compact(t, rsHeader(attackKid), c, rs256(t, idpKey))
			}},
		{name: "wrong aud", reason: "Audience (aud) claim [payments] doesn't contain an acceptable identifier",
			token: func() string {
				return compact(t, rsHeader(attackKid), claimsWith("alice", func(c map[string]any) { c["aud"] = "payments" }), rs256(t, idpKey))
			}},
		{name: "wrong iss", reason: "Issuer (iss) claim value (https://evil.test) doesn't match",
			token: func() string {
				return compact(t, rsHeader(attackKid), claimsWith("alice", func(c map[string]any) { c["iss"] = "https://evil.test" }), rs256(t, idpKey))
			}},
		{name: "missing exp", reason: "No Expiration Time (exp) claim present.",
			token: func() string {
				return compact(t, rsHeader(attackKid), claimsWith("alice", func(c map[string]any) { delete(c, "exp") }), rs256(t, idpKey))
			}},
		{name: "oversized token", reason: "Failing SASL authentication due to invalid receive size",
			token: func() string {
				c := claimsWith("alice", func(c map[string]any) { c["pad"] = strings.Repeat("x", 2*attackMaxSASL) })
				return compact(t, rsHeader(attackKid), c, rs256(t, idpKey))
			}},
		{name: "garbage base64", reason: "malformed Base64 URL encoded value in the JWS header",
			token: func() string { return "a.b.c" }},
		{name: "base64 that is not JSON", reason: "malformed JSON in the JWS header",
			token: func() string { return "bm90LWpzb24.bm90LWpzb24.c2ln" }},
		{name: "characters outside the bearer token syntax", reason: "Invalid OAUTHBEARER client first message",
			token: func() string { return "!!!.@@@.###" }},
		{name: "valid token with an altered signature", reason: "JWS signature is invalid",
			token: func() string {
				parts := strings.Split(valid, ".")
				sig, _ := b64.DecodeString(parts[2])
				sig[len(sig)/2] ^= 0x01
				return parts[0] + "." + parts[1] + "." + b64.EncodeToString(sig)
			}},
		{name: "valid signature over an altered payload (sub=admin)", reason: "JWS signature is invalid",
			token: func() string {
				parts := strings.Split(valid, ".")
				c, _ := json.Marshal(goodClaims("admin"))
				return parts[0] + "." + b64.EncodeToString(c) + "." + parts[2]
			}},
		{name: "valid token with its signature removed", reason: "the payload or signature section is empty",
			token: func() string { return valid[:strings.LastIndex(valid, ".")+1] }},
	}

	// The control: the valid token logs in, so the attacks fail for their
	// own reason and not because the setup is broken.
	if err := franzClient(t, addr, func(context.Context) (string, error) { return valid, nil }).Ping(ctxTimeout(t, 20*time.Second)); err != nil {
		t.Fatalf("the valid token does not log in: %v", err)
	}
	if len(lb.lines("msg=authenticated", "principal=User:alice")) == 0 {
		t.Fatalf("the valid login is not in the log:\n%s", lb.String())
	}
	failures := func() float64 {
		return counter(t, b.Registry(), "minikafka_authentications_total", map[string]string{"result": "failure"})
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			tok := a.token()
			mark := len(lb.String())
			fetches, failed := idp.hits.Load(), failures()
			cl := franzClient(t, addr, func(context.Context) (string, error) { return tok, nil }, kgo.RequestRetries(0), kgo.RetryTimeout(time.Second))
			err := cl.Ping(ctxTimeout(t, 20*time.Second))
			cl.Close()
			if err == nil {
				t.Fatalf("the token logged in")
			}
			logged := lb.String()[mark:]
			if !strings.Contains(logged, strings.TrimPrefix(strings.TrimSuffix(quoteForLog(a.reason), `"`), `"`)) {
				t.Fatalf("the log has no line with %q:\n%s", a.reason, logged)
			}
			if a.notLogged != "" && strings.Contains(logged, a.notLogged) {
				t.Fatalf("the log repeats the client's %d-byte value instead of clipping it", len(a.notLogged))
			}
			if strings.Contains(logged, "msg=authenticated") {
				t.Fatalf("someone authenticated:\n%s", logged)
			}
			if failures() <= failed {
				t.Fatalf("minikafka_authentications_total{result=failure} did not grow")
			}
			switch got := idp.hits.Load() - fetches; {
			case !a.jwksFetch && got != 0:
				t.Fatalf("the JWKS was fetched %d times for a token that should not trigger a refresh", got)
			case a.jwksFetch && got > 1:
				t.Fatalf("the JWKS was fetched %d times for one unknown kid", got)
			}
			t.Logf("rejected: %s (client: %v)", a.reason, err)
		})
	}
	if n := evil.hits.Load(); n != 0 {
		t.Fatalf("the attacker's server was contacted %d times (jku / x5u must be ignored)", n)
	}
	t.Logf("%d JWT attack tokens rejected over SASL/OAUTHBEARER", len(attacks))
}

// quoteForLog renders s as slog's text handler writes it inside a quoted
// attribute value (escapes only; the caller strips the outer quotes).
func quoteForLog(s string) string {
	b, _ := json.Marshal(s)
	out := string(b)
	// slog's text handler uses strconv.Quote, which differs from JSON for
	// control characters only.
	return strings.ReplaceAll(out, `\u0000`, `\x00`)
}

func newRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustMarshalPKIX(t *testing.T, pub *rsa.PublicKey) []byte {
	t.Helper()
	b, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestJWTAlgorithmConfusionWithHMACAllowed: even when HS256 is allowed,
// an HMAC signature is verified only with symmetric (oct) keys of the
// JWKS, never with the bytes of an RSA public key.
func TestJWTAlgorithmConfusionWithHMACAllowed(t *testing.T) {
	idpKey := issuerKey(t)
	idp := newJWKSServer(t, jwkOf(idpKey, attackKid))
	b, lb := startAttackBroker(t, idp, func(v *minikafka.OAuthValidation) {
		v.AllowedAlgorithms = []string{"RS256", "HS256"}
	})
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: mustMarshalPKIX(t, &idpKey.PublicKey)})
	for name, secret := range map[string][]byte{"PEM": pubPEM, "DER": mustMarshalPKIX(t, &idpKey.PublicKey), "modulus": idpKey.N.Bytes()} {
		t.Run(name, func(t *testing.T) {
			tok := compact(t, map[string]any{"alg": "HS256", "kid": attackKid}, goodClaims("admin"), hs256(secret))
			mark := len(lb.String())
			cl := franzClient(t, b.Addr(listenerName), func(context.Context) (string, error) { return tok, nil }, kgo.RequestRetries(0), kgo.RetryTimeout(time.Second))
			if err := cl.Ping(ctxTimeout(t, 20*time.Second)); err == nil {
				t.Fatal("an HS256 token keyed with the RSA public key logged in")
			}
			logged := lb.String()[mark:]
			mustHave := `Unable to find a suitable verification key for JWS with kid \"` + attackKid + `\" and alg HS256`
			if !strings.Contains(logged, mustHave) || strings.Contains(logged, "msg=authenticated") {
				t.Fatalf("want a rejection logging %q:\n%s", mustHave, logged)
			}
		})
	}
}
