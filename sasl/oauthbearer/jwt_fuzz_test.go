package oauthbearer

// FuzzJWTValidate feeds arbitrary token bytes to the secure validator (a
// JWKS of an RSA, an Ed25519 and a symmetric key) and to the unsecured
// one. The committed seeds (testdata/fuzz/FuzzJWTValidate) are real
// tokens signed with the committed key testdata/fuzz-rsa.pem (see
// testdata/gen-fuzz-key.sh), a fixed Ed25519 seed and a fixed HMAC
// secret: valid ones and the attacks of the integration suite. Regenerate
// them with
//
//	go test ./sasl/oauthbearer -run TestJWTValidateSeedCorpus -update

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/minikafka/minikafka/internal/fuzzseed"
)

var update = flag.Bool("update", false, "rewrite the committed fuzz seed corpus")

// fuzzNow is the fixed clock of the fuzz validators and seeds.
var fuzzNow = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

var fuzzHMACSecret = []byte("minikafka-fuzz-hmac-secret-of-32b")

// fuzzKeys are the signing keys of the seeds.
type fuzzKeys struct {
	rsa *rsa.PrivateKey
	ed  ed25519.PrivateKey
}

func loadFuzzKeys(tb testing.TB) fuzzKeys {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fuzz-rsa.pem"))
	if err != nil {
		tb.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		tb.Fatal("testdata/fuzz-rsa.pem: no PEM block")
		return fuzzKeys{}
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	return fuzzKeys{rsa: k.(*rsa.PrivateKey), ed: ed25519.NewKeyFromSeed([]byte("minikafka fuzz ed25519 seed 32b!"))}
}

// fuzzValidators are the secure validator over the keys' JWKS and the
// unsecured validator, both at fuzzNow.
func fuzzValidators(tb testing.TB, keys fuzzKeys) (*JWTValidator, *UnsecuredValidator) {
	tb.Helper()
	set := jwk.NewSet()
	for kid, raw := range map[string]any{"rsa-1": &keys.rsa.PublicKey, "ed-1": keys.ed.Public(), "hs-1": fuzzHMACSecret} {
		k, err := jwk.FromRaw(raw)
		if err != nil {
			tb.Fatal(err)
		}
		_ = k.Set(jwk.KeyIDKey, kid)
		_ = k.Set(jwk.KeyUsageKey, "sig")
		if err := set.AddKey(k); err != nil {
			tb.Fatal(err)
		}
	}
	doc, err := json.Marshal(set)
	if err != nil {
		tb.Fatal(err)
	}
	ks, err := ParseKeySet(doc)
	if err != nil {
		tb.Fatal(err)
	}
	now := func() time.Time { return fuzzNow }
	secure, err := NewJWTValidator(JWTConfig{Keys: StaticKeys{Set: ks, Name: "fuzz JWKS"}, ExpectedAudience: []string{"kafka"},
		ExpectedIssuer: "https://idp.test", AllowedAlgorithms: append([]string{"HS256"}, DefaultAllowedAlgorithms...), Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	unsecured, err := NewUnsecuredValidator(UnsecuredConfig{Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	return secure, unsecured
}

// fuzzToken builds a compact JWS: header and claims as given, signed by
// sign (nil: empty signature).
func fuzzToken(header, claims map[string]any, sign func([]byte) []byte) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(in))
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func (k fuzzKeys) rs256(in []byte) []byte {
	sum := sha256.Sum256(in)
	sig, _ := rsa.SignPKCS1v15(nil, k.rsa, crypto.SHA256, sum[:])
	return sig
}

func (k fuzzKeys) eddsa(in []byte) []byte { return ed25519.Sign(k.ed, in) }

func hmacSHA256(secret []byte) func([]byte) []byte {
	return func(in []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(in)
		return m.Sum(nil)
	}
}

func fuzzClaims(mut func(map[string]any)) map[string]any {
	c := map[string]any{"sub": "alice", "iss": "https://idp.test", "aud": "kafka", "scope": "kafka",
		"iat": fuzzNow.Unix(), "exp": fuzzNow.Add(time.Hour).Unix()}
	if mut != nil {
		mut(c)
	}
	return c
}

// jwtSeeds are the seed tokens by name; valid ones start with "valid-".
func jwtSeeds(keys fuzzKeys) map[string]string {
	pub, _ := x509.MarshalPKIXPublicKey(&keys.rsa.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	rs := func(kid string, extra ...any) map[string]any {
		h := map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid}
		for i := 0; i+1 < len(extra); i += 2 {
			h[extra[i].(string)] = extra[i+1]
		}
		return h
	}
	valid := fuzzToken(rs("rsa-1"), fuzzClaims(nil), keys.rs256)
	parts := strings.Split(valid, ".")
	altered := []byte(parts[2])
	altered[10] ^= 1
	return map[string]string{
		"valid-rs256":         valid,
		"valid-eddsa":         fuzzToken(map[string]any{"alg": "EdDSA", "kid": "ed-1"}, fuzzClaims(func(c map[string]any) { c["aud"] = []string{"kafka", "other"} }), keys.eddsa),
		"valid-hs256-oct":     fuzzToken(map[string]any{"alg": "HS256", "kid": "hs-1"}, fuzzClaims(func(c map[string]any) { c["scope"] = []string{"a", "b"} }), hmacSHA256(fuzzHMACSecret)),
		"valid-no-kid":        fuzzToken(map[string]any{"alg": "RS256"}, fuzzClaims(nil), keys.rs256),
		"alg-none":            fuzzToken(map[string]any{"alg": "none"}, fuzzClaims(nil), nil),
		"unsecured-valid":     fuzzToken(map[string]any{"alg": "none"}, map[string]any{"sub": "bob", "iat": fuzzNow.Unix(), "exp": fuzzNow.Add(time.Hour).Unix(), "scope": "x"}, nil),
		"hs256-rsa-public":    fuzzToken(map[string]any{"alg": "HS256", "kid": "rsa-1"}, fuzzClaims(nil), hmacSHA256(pubPEM)),
		"kid-traversal":       fuzzToken(rs("../../etc/passwd"), fuzzClaims(nil), keys.rs256),
		"kid-long":            fuzzToken(rs(strings.Repeat("k", 1500)), fuzzClaims(nil), keys.rs256),
		"valid-jku-ignored":   fuzzToken(rs("rsa-1", "jku", "https://evil.test/jwks"), fuzzClaims(nil), keys.rs256),
		"valid-x5u-ignored":   fuzzToken(rs("rsa-1", "x5u", "https://evil.test/cert"), fuzzClaims(nil), keys.rs256),
		"valid-jwk-ignored":   fuzzToken(rs("rsa-1", "jwk", map[string]any{"kty": "oct", "k": "c2VjcmV0"}), fuzzClaims(nil), keys.rs256),
		"crit":                fuzzToken(rs("rsa-1", "crit", []string{"exp"}), fuzzClaims(nil), keys.rs256),
		"b64-false":           fuzzToken(rs("rsa-1", "b64", false), fuzzClaims(nil), keys.rs256),
		"expired":             fuzzToken(rs("rsa-1"), fuzzClaims(func(c map[string]any) { c["exp"] = fuzzNow.Add(-time.Hour).Unix() }), keys.rs256),
		"nbf-future":          fuzzToken(rs("rsa-1"), fuzzClaims(func(c map[string]any) { c["nbf"] = fuzzNow.Add(time.Hour).Unix() }), keys.rs256),
		"wrong-aud":           fuzzToken(rs("rsa-1"), fuzzClaims(func(c map[string]any) { c["aud"] = "payments" }), keys.rs256),
		"wrong-iss":           fuzzToken(rs("rsa-1"), fuzzClaims(func(c map[string]any) { c["iss"] = "https://evil.test" }), keys.rs256),
		"missing-exp":         fuzzToken(rs("rsa-1"), fuzzClaims(func(c map[string]any) { delete(c, "exp") }), keys.rs256),
		"sub-number":          fuzzToken(rs("rsa-1"), fuzzClaims(func(c map[string]any) { c["sub"] = 7 }), keys.rs256),
		"altered-signature":   parts[0] + "." + parts[1] + "." + string(altered),
		"altered-payload":     parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin"}`)) + "." + parts[2],
		"signature-removed":   parts[0] + "." + parts[1] + ".",
		"garbage":             "a.b.c",
		"not-json":            "bm90LWpzb24.bm90LWpzb24.c2ln",
		"two-sections":        "abc.def",
		"empty":               "",
		"std-base64-padding":  strings.ReplaceAll(valid, "-", "+") + "==",
		"valid-whitespace":    "  " + valid + "\n",
		"four-sections":       valid + ".extra",
		"header-array":        base64.RawURLEncoding.EncodeToString([]byte(`[1,2]`)) + "." + parts[1] + "." + parts[2],
		"exp-huge-fractional": fuzzToken(rs("rsa-1"), fuzzClaims(func(c map[string]any) { c["exp"] = 1e300 }), keys.rs256),
	}
}

func FuzzJWTValidate(f *testing.F) {
	keys := loadFuzzKeys(f)
	secure, unsecured := fuzzValidators(f, keys)
	genuine := map[string]bool{} // signing inputs the keys really signed
	for name, tok := range jwtSeeds(keys) {
		if strings.HasPrefix(name, "valid-") {
			tok = strings.TrimSpace(tok)
			genuine[tok[:strings.LastIndex(tok, ".")]] = true
		}
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, token string) {
		tok, err := secure.Validate(ctx, token)
		checkValidation(t, "secure", tok, err)
		if err == nil {
			in := strings.TrimSpace(token)
			if !genuine[in[:strings.LastIndex(in, ".")]] {
				t.Fatalf("the secure validator accepted a token no key signed: %q", token)
			}
		}
		tok, err = unsecured.Validate(ctx, token)
		checkValidation(t, "unsecured", tok, err)
	})
}

// checkValidation: a rejection is a *ValidationError with a bounded
// reason (it is logged for every attempt); an accepted token has a
// trimmed, non-empty principal and an expiry.
func checkValidation(t *testing.T, which string, tok *Token, err error) {
	t.Helper()
	if err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) || tok != nil {
			t.Fatalf("%s: error %v (%T) is not a *ValidationError", which, err, err)
		}
		if len(ve.Reason) > 4096 || ve.Status == "" {
			t.Fatalf("%s: reason of %d bytes, status %q", which, len(ve.Reason), ve.Status)
		}
		return
	}
	if tok == nil || tok.Principal == "" || tok.Principal != strings.TrimSpace(tok.Principal) || tok.Expiry.IsZero() {
		t.Fatalf("%s: accepted token %+v", which, tok)
	}
}

// TestJWTValidateSeedCorpus keeps testdata/fuzz/FuzzJWTValidate/seed-*
// equal to jwtSeeds, and checks that exactly the valid- seeds pass.
func TestJWTValidateSeedCorpus(t *testing.T) {
	keys := loadFuzzKeys(t)
	seeds := jwtSeeds(keys)
	files := map[string][]byte{}
	for name, tok := range seeds {
		files["seed-"+name] = fuzzseed.File(tok)
	}
	fuzzseed.Sync(t, filepath.Join("testdata", "fuzz", "FuzzJWTValidate"), files, *update,
		"go test ./sasl/oauthbearer -run TestJWTValidateSeedCorpus -update")
	secure, unsecured := fuzzValidators(t, keys)
	for name, tok := range seeds {
		_, err := secure.Validate(context.Background(), tok)
		if strings.HasPrefix(name, "valid-") != (err == nil) {
			t.Errorf("seed %s: secure validator error %v", name, err)
		}
	}
	if _, err := unsecured.Validate(context.Background(), seeds["unsecured-valid"]); err != nil {
		t.Errorf("seed unsecured-valid: %v", err)
	}
}
