package oauthbearer

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/minikafka/minikafka/sasl"
)

// fakeClock is an injectable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type jwtFixture struct {
	idp   *testIDP
	jwks  *JWKS
	key   jwk.Key // RS256, kid k1, published
	clock *fakeClock
	log   *logBuf
	mech  *Mechanism
}

func newJWTFixture(t *testing.T, cfg JWTConfig) *jwtFixture {
	t.Helper()
	f := &jwtFixture{idp: newTestIDP(t), clock: &fakeClock{t: time.Now().Truncate(time.Second)}}
	f.key = newKey(t, "k1", jwa.RS256)
	f.idp.setKeys(f.key)
	logger, lb := newLog()
	f.log = lb
	j, err := NewJWKS(context.Background(), JWKSConfig{URL: f.idp.url(), Logger: logger, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Close() })
	f.jwks = j
	cfg.Keys = j
	cfg.Now = f.clock.Now
	v, err := NewJWTValidator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.mech, err = New(Config{Validator: v, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// authenticate runs the first round and returns the validated identity,
// or the logged reason when the token was rejected (with Kafka's challenge).
func (f *jwtFixture) authenticate(t *testing.T, token string) (sasl.Identity, string) {
	t.Helper()
	before := len(f.log.String())
	s, challenge, done, err := step(f.mech, initialResponse(token))
	if err != nil {
		t.Fatalf("step: %v", err)
	}
	if done {
		return s.Identity(), ""
	}
	if string(challenge) != `{"status":"invalid_token"}` {
		t.Fatalf("challenge = %q", challenge)
	}
	var line string
	for _, l := range strings.Split(f.log.String()[before:], "\n") {
		if strings.Contains(l, "OAUTHBEARER: token validation failed") {
			if line != "" || !strings.HasPrefix(l, "level=WARN") {
				t.Fatalf("want one WARN line with the reason, got %q", f.log.String()[before:])
			}
			line = l
		}
	}
	if line == "" {
		t.Fatalf("no WARN line with the reason in %q", f.log.String()[before:])
	}
	return sasl.Identity{}, line
}

func TestJWTValidatorRejects(t *testing.T) {
	f := newJWTFixture(t, JWTConfig{ExpectedAudience: []string{"kafka", "other"}, ExpectedIssuer: "https://idp.test"})
	now := f.clock.Now()
	other := newKey(t, "k1", jwa.RS256) // same kid, different key: forged
	rsaPub, _ := f.key.PublicKey()
	var rawPub any
	_ = rsaPub.Raw(&rawPub)
	der, _ := x509.MarshalPKIXPublicKey(rawPub)
	pemPub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	hsWithPub, err := jws.Sign(mustJSON(stdClaims("alice", now)), jws.WithKey(jwa.HS256, pemPub, jws.WithProtectedHeaders(hdr("kid", "k1"))))
	if err != nil {
		t.Fatal(err)
	}
	with := func(mut func(c map[string]any)) map[string]any {
		c := stdClaims("alice", now)
		mut(c)
		return c
	}
	tests := map[string]struct {
		token  string
		reason string
	}{
		"expired": {sign(t, f.key, jwa.RS256, with(func(c map[string]any) { c["exp"] = now.Add(-31 * time.Second).Unix() }), nil),
			"The JWT is no longer valid"},
		"not yet valid nbf": {sign(t, f.key, jwa.RS256, with(func(c map[string]any) { c["nbf"] = now.Add(2 * time.Minute).Unix() }), nil),
			"The JWT is not yet valid"},
		"wrong iss": {sign(t, f.key, jwa.RS256, with(func(c map[string]any) { c["iss"] = "https://evil.test" }), nil),
			"Issuer (iss) claim value (https://evil.test) doesn't match expected value of https://idp.test"},
		"missing iss": {sign(t, f.key, jwa.RS256, with(func(c map[string]any) { delete(c, "iss") }), nil),
			"No Issuer (iss) claim present but was expecting https://idp.test"},
		"wrong aud": {sign(t, f.key, jwa.RS256, with(func(c map[string]any) { c["aud"] = []string{"x", "y"} }), nil),
			"Audience (aud) claim [x, y] doesn't contain an acceptable identifier. Expected one of [kafka, other]"},
		"missing aud": {sign(t, f.key, jwa.RS256, with(func(c map[string]any) { delete(c, "aud") }), nil),
			"No Audience (aud) claim present."},
		"bad signature": {sign(t, other, jwa.RS256, stdClaims("alice", now), nil),
			"JWS signature is invalid"},
		"alg none": {unsignedJWT(t, map[string]any{"alg": "none", "kid": "k1"}, stdClaims("alice", now)),
			"JWS algorithm 'none' is not allowed"},
		"alg none with signature": {unsignedJWT(t, map[string]any{"alg": "none", "kid": "k1"}, stdClaims("alice", now)) + "c2ln",
			"JWS algorithm 'none' is not allowed"},
		"HS256 keyed with the RSA public key": {string(hsWithPub),
			"JWS algorithm 'HS256' is not allowed"},
		"missing exp": {sign(t, f.key, jwa.RS256, with(func(c map[string]any) { delete(c, "exp") }), nil),
			"No Expiration Time (exp) claim present."},
		"missing iat": {sign(t, f.key, jwa.RS256, with(func(c map[string]any) { delete(c, "iat") }), nil),
			"No Issued At (iat) claim present."},
		"exp not a number": {sign(t, f.key, jwa.RS256, with(func(c map[string]any) { c["exp"] = "tomorrow" }), nil),
			"The value of the 'exp' claim is not the expected type"},
		"missing sub": {sign(t, f.key, jwa.RS256, with(func(c map[string]any) { delete(c, "sub") }), nil),
			"sub value must be non-null"},
		"blank sub": {sign(t, f.key, jwa.RS256, with(func(c map[string]any) { c["sub"] = "  " }), nil),
			"sub value must not contain only whitespace"},
		"numeric sub": {sign(t, f.key, jwa.RS256, with(func(c map[string]any) { c["sub"] = 42 }), nil),
			"Could not extract the 'sub' claim"},
		"duplicate scope": {sign(t, f.key, jwa.RS256, with(func(c map[string]any) { c["scope"] = []string{"a", "a"} }), nil),
			"scope value must not contain duplicates"},
		"two sections":    {"abc.def", "expected three sections (header, payload, and signature), but 2 sections provided"},
		"garbage header":  {"a.e30.c2ln", "malformed Base64 URL encoded value in the JWS header"},
		"header not JSON": {"bm9wZQ.e30.c2ln", "malformed JSON in the JWS header"},
		"crit header": {sign(t, f.key, jwa.RS256, stdClaims("alice", now), map[string]any{"crit": []string{"exp"}, "exp": 1}),
			"unrecognized critical (crit) parameters"},
		"unknown kid, no key after refresh": {sign(t, newKey(t, "nope", jwa.RS256), jwa.RS256, stdClaims("alice", now), nil),
			`Unable to find a suitable verification key for JWS with kid "nope" and alg RS256`},
		"very long kid: clipped in the reason": {sign(t, newKey(t, strings.Repeat("k", 5000), jwa.RS256), jwa.RS256, stdClaims("alice", now), nil),
			`kid "` + strings.Repeat("k", 128) + `...(5000 bytes)" and alg RS256`},
		"very long crit: clipped in the reason": {sign(t, f.key, jwa.RS256, stdClaims("alice", now), map[string]any{"crit": []string{strings.Repeat("c", 5000)}}),
			`unrecognized critical (crit) parameters ["` + strings.Repeat("c", 126) + `...(5004 bytes)`},
		"very long alg: clipped in the reason": {unsignedJWT(t, map[string]any{"alg": strings.Repeat("A", 5000)}, stdClaims("alice", now)) + "c2ln",
			`JWS algorithm '` + strings.Repeat("A", 128) + `...(5000 bytes)' is not allowed`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, reason := f.authenticate(t, tc.token)
			if reason == "" {
				t.Fatal("token accepted")
			}
			if !strings.Contains(reason, tc.reason) {
				t.Fatalf("logged %q, want reason %q", reason, tc.reason)
			}
			if len(reason) > 2000 {
				t.Fatalf("a %d-byte reason: client-chosen values must be clipped", len(reason))
			}
		})
	}
}

func TestJWTValidatorEmptyToken(t *testing.T) {
	v, err := NewJWTValidator(JWTConfig{Keys: StaticKeys{Set: &KeySet{}, Name: "static"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Validate(context.Background(), " ")
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Status != "invalid_token" || !strings.Contains(ve.Reason, "Empty JWT provided") {
		t.Fatalf("err = %v", err)
	}
}

func TestJWTValidatorHMACNeverWithPublicKey(t *testing.T) {
	// Even with HS256 allowed, an RSA key of the JWKS is never used as an
	// HMAC secret.
	f := newJWTFixture(t, JWTConfig{ExpectedAudience: []string{"kafka"}, AllowedAlgorithms: []string{"RS256", "HS256"}})
	rsaPub, _ := f.key.PublicKey()
	var rawPub any
	_ = rsaPub.Raw(&rawPub)
	der, _ := x509.MarshalPKIXPublicKey(rawPub)
	for _, secret := range [][]byte{der, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})} {
		tok, err := jws.Sign(mustJSON(stdClaims("alice", f.clock.Now())), jws.WithKey(jwa.HS256, secret, jws.WithProtectedHeaders(hdr("kid", "k1"))))
		if err != nil {
			t.Fatal(err)
		}
		_, reason := f.authenticate(t, string(tok))
		if !strings.Contains(reason, `Unable to find a suitable verification key for JWS with kid "k1" and alg HS256`) {
			t.Fatalf("reason %q", reason)
		}
	}
}

func TestJWTValidatorAudienceGotcha(t *testing.T) {
	// Kafka never skips jose4j's default audience check: without an
	// expected audience, a token with an aud claim is rejected.
	f := newJWTFixture(t, JWTConfig{})
	_, reason := f.authenticate(t, sign(t, f.key, jwa.RS256, stdClaims("alice", f.clock.Now()), nil))
	if !strings.Contains(reason, "Audience (aud) claim [kafka] present in the JWT but no expected audience value(s) were provided") {
		t.Fatalf("reason %q", reason)
	}
	c := stdClaims("alice", f.clock.Now())
	delete(c, "aud")
	if id, reason := f.authenticate(t, sign(t, f.key, jwa.RS256, c, nil)); reason != "" || id.AuthorizationID != "alice" {
		t.Fatalf("token without aud: %v %q", id, reason)
	}
}

func TestJWTValidatorAccepts(t *testing.T) {
	f := newJWTFixture(t, JWTConfig{ExpectedAudience: []string{"kafka"}, ExpectedIssuer: "https://idp.test"})
	now := f.clock.Now()
	es := newKey(t, "es", jwa.ES256)
	ed := newKey(t, "ed", jwa.EdDSA)
	ps := newKey(t, "ps", jwa.RS256)
	f.idp.setKeys(f.key, es, ed, ps)
	if _, why := f.jwks.Missing(context.Background(), "force-refresh"); why != "" {
		t.Fatalf("refresh: %s", why)
	}
	with := func(mut func(c map[string]any)) map[string]any {
		c := stdClaims("alice", now)
		mut(c)
		return c
	}
	tests := map[string]struct {
		token  string
		sub    string
		scopes []string
	}{
		"RS256 at+jwt": {sign(t, f.key, jwa.RS256, stdClaims("alice", now), map[string]any{"typ": "at+jwt"}), "alice", []string{"kafka"}},
		"PS256":        {sign(t, ps, jwa.PS256, stdClaims("alice", now), nil), "alice", []string{"kafka"}},
		"ES256":        {sign(t, es, jwa.ES256, stdClaims("bob", now), nil), "bob", []string{"kafka"}},
		"EdDSA":        {sign(t, ed, jwa.EdDSA, stdClaims("carol", now), nil), "carol", []string{"kafka"}},
		"sub trimmed, scope list, aud list": {sign(t, f.key, jwa.RS256, with(func(c map[string]any) {
			c["sub"] = " alice "
			c["scope"] = []string{"read", " write "}
			c["aud"] = []string{"x", "kafka"}
		}), nil), "alice", []string{"read", "write"}},
		"no scope":               {sign(t, f.key, jwa.RS256, with(func(c map[string]any) { delete(c, "scope") }), nil), "alice", []string{}},
		"expired within skew":    {sign(t, f.key, jwa.RS256, with(func(c map[string]any) { c["exp"] = now.Add(-20 * time.Second).Unix() }), nil), "alice", []string{"kafka"}},
		"nbf within skew":        {sign(t, f.key, jwa.RS256, with(func(c map[string]any) { c["nbf"] = now.Add(20 * time.Second).Unix() }), nil), "alice", []string{"kafka"}},
		"fractional exp and iat": {sign(t, f.key, jwa.RS256, with(func(c map[string]any) { c["exp"] = float64(now.Unix()) + 60.5; c["iat"] = float64(now.Unix()) - 0.25 }), nil), "alice", []string{"kafka"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			id, reason := f.authenticate(t, tc.token)
			if reason != "" {
				t.Fatalf("rejected: %s", reason)
			}
			if id.AuthorizationID != tc.sub || id.Expiry.IsZero() || id.Claims["iss"] != "https://idp.test" {
				t.Fatalf("identity %+v", id)
			}
		})
	}
	v := f.mech.cfg.Validator
	tok, err := v.Validate(context.Background(), tests["sub trimmed, scope list, aud list"].token)
	if err != nil || strings.Join(tok.Scopes, ",") != "read,write" {
		t.Fatalf("scopes %v %v", tok, err)
	}
	if tok.Expiry.Unix() != now.Add(5*time.Minute).Unix() {
		t.Fatalf("expiry %v", tok.Expiry)
	}
}

func TestJWTValidatorAlgorithmConfig(t *testing.T) {
	ks := StaticKeys{Set: &KeySet{}, Name: "static"}
	if _, err := NewJWTValidator(JWTConfig{Keys: ks, AllowedAlgorithms: []string{"RS256", "none"}}); err == nil {
		t.Fatal("none accepted in the allow-list")
	}
	if _, err := NewJWTValidator(JWTConfig{Keys: ks, AllowedAlgorithms: []string{"XS999"}}); err == nil {
		t.Fatal("unknown algorithm accepted")
	}
	f := newJWTFixture(t, JWTConfig{ExpectedAudience: []string{"kafka"}, AllowedAlgorithms: []string{"ES256"}})
	_, reason := f.authenticate(t, sign(t, f.key, jwa.RS256, stdClaims("alice", f.clock.Now()), nil))
	if !strings.Contains(reason, "JWS algorithm 'RS256' is not allowed (allowed: ES256)") {
		t.Fatalf("reason %q", reason)
	}
}

func TestJWKSRotationFollowedWithoutRestart(t *testing.T) {
	f := newJWTFixture(t, JWTConfig{ExpectedAudience: []string{"kafka"}})
	now := f.clock.Now()
	if id, reason := f.authenticate(t, sign(t, f.key, jwa.RS256, stdClaims("alice", now), nil)); reason != "" || id.AuthorizationID != "alice" {
		t.Fatalf("k1: %q", reason)
	}
	// Many connections with a known kid never fetch the JWKS again.
	for i := 0; i < 50; i++ {
		if _, reason := f.authenticate(t, sign(t, f.key, jwa.RS256, stdClaims("alice", now), nil)); reason != "" {
			t.Fatal(reason)
		}
	}
	if n := f.idp.hits.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times for 51 connections, want 1 (startup)", n)
	}
	// The IdP rotates to k2: the first token signed with k2 triggers one
	// synchronous refresh and succeeds in the same attempt.
	k2 := newKey(t, "k2", jwa.RS256)
	f.idp.setKeys(k2)
	if id, reason := f.authenticate(t, sign(t, k2, jwa.RS256, stdClaims("bob", now), nil)); reason != "" || id.AuthorizationID != "bob" {
		t.Fatalf("k2 after rotation: %q", reason)
	}
	if n := f.idp.hits.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
	// k1 is gone: its tokens now fail, and k1 triggers at most one refresh
	// per minute.
	for i := 0; i < 3; i++ {
		_, reason := f.authenticate(t, sign(t, f.key, jwa.RS256, stdClaims("alice", now), nil))
		if !strings.Contains(reason, `kid "k1"`) {
			t.Fatalf("k1 after rotation: %q", reason)
		}
	}
	if n := f.idp.hits.Load(); n != 3 {
		t.Fatalf("JWKS fetched %d times, want 3 (one refresh for k1)", n)
	}
	_, reason := f.authenticate(t, sign(t, f.key, jwa.RS256, stdClaims("alice", now), nil))
	if !strings.Contains(reason, "already triggered a JWKS refresh") {
		t.Fatalf("rate limit reason %q", reason)
	}
	f.clock.Add(61 * time.Second)
	now = f.clock.Now()
	_, _ = f.authenticate(t, sign(t, f.key, jwa.RS256, stdClaims("alice", now), nil))
	if n := f.idp.hits.Load(); n != 4 {
		t.Fatalf("JWKS fetched %d times after 61 s, want 4", n)
	}
	// A kid longer than 1000 characters never triggers a refresh.
	long := newKey(t, strings.Repeat("x", 1001), jwa.RS256)
	_, reason = f.authenticate(t, sign(t, long, jwa.RS256, stdClaims("alice", now), nil))
	if !strings.Contains(reason, "never triggers a refresh") || f.idp.hits.Load() != 4 {
		t.Fatalf("long kid: %q, hits %d", reason, f.idp.hits.Load())
	}
}

func TestJWKSMissingKidMemory(t *testing.T) {
	f := newJWTFixture(t, JWTConfig{})
	ctx := context.Background()
	for i := 0; i < 17; i++ {
		if ks, why := f.jwks.Missing(ctx, "kid-"+string(rune('a'+i))); ks == nil {
			t.Fatalf("kid %d: no refresh: %s", i, why)
		}
	}
	if n := f.idp.hits.Load(); n != 18 {
		t.Fatalf("hits %d, want 18", n)
	}
	// Only 16 kids are remembered: kid-a was forgotten, kid-q was not.
	if ks, why := f.jwks.Missing(ctx, "kid-q"); ks != nil || !strings.Contains(why, "already triggered") {
		t.Fatalf("kid-q refreshed again: %s", why)
	}
	if ks, _ := f.jwks.Missing(ctx, "kid-a"); ks == nil {
		t.Fatal("kid-a still remembered after 17 kids")
	}
}

func TestJWKSFailedRefreshKeepsKeys(t *testing.T) {
	f := newJWTFixture(t, JWTConfig{ExpectedAudience: []string{"kafka"}})
	f.idp.fail.Store(true)
	_, reason := f.authenticate(t, sign(t, newKey(t, "k9", jwa.RS256), jwa.RS256, stdClaims("alice", f.clock.Now()), nil))
	if !strings.Contains(reason, "the JWKS refresh failed") {
		t.Fatalf("reason %q", reason)
	}
	if !strings.Contains(f.log.String(), "OAuth JWKS refresh of "+f.idp.url()+" encountered an error; not updating local JWKS cache") {
		t.Fatalf("log: %s", f.log.String())
	}
	if id, reason := f.authenticate(t, sign(t, f.key, jwa.RS256, stdClaims("alice", f.clock.Now()), nil)); reason != "" || id.AuthorizationID != "alice" {
		t.Fatalf("old key lost after a failed refresh: %q", reason)
	}
}

func TestJWKSScheduledRefresh(t *testing.T) {
	idp := newTestIDP(t)
	k1, k2 := newKey(t, "k1", jwa.RS256), newKey(t, "k2", jwa.RS256)
	idp.setKeys(k1)
	logger, lb := newLog()
	j, err := NewJWKS(context.Background(), JWKSConfig{URL: idp.url(), Refresh: 20 * time.Millisecond, RetryBackoff: time.Millisecond, RetryBackoffMax: 5 * time.Millisecond, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	idp.fail.Store(true)
	waitFor(t, func() bool {
		return strings.Contains(lb.String(), "encountered an error; not updating local JWKS cache")
	})
	if got := j.Keys().KeyIDs(); len(got) != 1 || got[0] != "k1" {
		t.Fatalf("keys after failed scheduled refresh: %v", got)
	}
	idp.setKeys(k2)
	idp.fail.Store(false)
	waitFor(t, func() bool { ids := j.Keys().KeyIDs(); return len(ids) == 1 && ids[0] == "k2" })
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestJWKSStartupFailureNamesURL(t *testing.T) {
	idp := newTestIDP(t)
	idp.fail.Store(true)
	_, err := NewJWKS(context.Background(), JWKSConfig{URL: idp.url(), RetryBackoff: time.Millisecond, RetryBackoffMax: 20 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), idp.url()) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("err = %v", err)
	}
	if idp.hits.Load() < 2 {
		t.Fatalf("startup fetch not retried: %d", idp.hits.Load())
	}
	for _, u := range []string{"ftp://x/jwks", "not a url", ""} {
		if _, err := NewJWKS(context.Background(), JWKSConfig{URL: u}); err == nil {
			t.Fatalf("URL %q accepted", u)
		}
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, []byte("not json"), 0o600)
	if _, err := NewJWKS(context.Background(), JWKSConfig{URL: "file://" + bad}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("bad file: %v", err)
	}
}

func TestJWKSFile(t *testing.T) {
	k := newKey(t, "fk", jwa.ES256)
	pub, _ := k.PublicKey()
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, mustJSON(set), 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := NewJWKS(context.Background(), JWKSConfig{URL: "file://" + path})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	v, err := NewJWTValidator(JWTConfig{Keys: j, ExpectedAudience: []string{"kafka"}})
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := v.Validate(context.Background(), sign(t, k, jwa.ES256, stdClaims("fay", time.Now()), nil)); err != nil || tok.Principal != "fay" {
		t.Fatalf("file JWKS: %v", err)
	}
	_, err = v.Validate(context.Background(), sign(t, newKey(t, "other", jwa.ES256), jwa.ES256, stdClaims("fay", time.Now()), nil))
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Reason, "a file JWKS is never reloaded") {
		t.Fatalf("unknown kid with a file JWKS: %v", err)
	}
}

func TestJWKSSkipsUnusableKeys(t *testing.T) {
	doc := `{"keys":[{"kty":"RSA","use":"enc","kid":"e","n":"sXch","e":"AQAB"},{"kty":"weird","kid":"w"},` +
		`{"kty":"oct","kid":"o","k":"c2VjcmV0"}]}`
	ks, err := ParseKeySet([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if ids := ks.KeyIDs(); len(ids) != 1 || ids[0] != "o" {
		t.Fatalf("usable keys %v, skipped %v", ids, ks.Skipped())
	}
	if _, err := ParseKeySet([]byte("[1,2")); err == nil {
		t.Fatal("garbage parsed as a JWKS")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func hdr(kv ...any) jws.Headers {
	h := jws.NewHeaders()
	for i := 0; i+1 < len(kv); i += 2 {
		_ = h.Set(kv[i].(string), kv[i+1])
	}
	return h
}

func TestJWKSOverHTTPS(t *testing.T) {
	k := newKey(t, "tk", jwa.RS256)
	pub, _ := k.PublicKey()
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	doc := mustJSON(set)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(doc) }))
	defer srv.Close()
	if _, err := NewJWKS(context.Background(), JWKSConfig{URL: srv.URL, RetryBackoffMax: time.Millisecond}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted certificate accepted: %v", err)
	}
	j, err := NewJWKS(context.Background(), JWKSConfig{URL: srv.URL, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	v, _ := NewJWTValidator(JWTConfig{Keys: j, ExpectedAudience: []string{"kafka"}})
	if tok, err := v.Validate(context.Background(), sign(t, k, jwa.RS256, stdClaims("tls-user", time.Now()), nil)); err != nil || tok.Principal != "tls-user" {
		t.Fatalf("https JWKS: %v", err)
	}
}
