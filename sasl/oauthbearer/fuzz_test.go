package oauthbearer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// FuzzValidators feeds arbitrary tokens to both validators: they must not
// panic, and must either accept with a principal and an expiry or reject
// with a ValidationError.
func FuzzValidators(f *testing.F) {
	now := time.Unix(1_900_000_000, 0)
	key := newKey(f, "k1", jwa.RS256)
	pub, _ := key.PublicKey()
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	secure, err := NewJWTValidator(JWTConfig{Keys: StaticKeys{Set: NewKeySet(set), Name: "fuzz"}, ExpectedAudience: []string{"kafka"}, Now: func() time.Time { return now }})
	if err != nil {
		f.Fatal(err)
	}
	unsecured, _ := NewUnsecuredValidator(UnsecuredConfig{RequiredScopes: []string{"kafka"}, Now: func() time.Time { return now }})
	good := sign(f, key, jwa.RS256, stdClaims("alice", now), map[string]any{"typ": "at+jwt"})
	f.Add(good)
	f.Add(good[:strings.LastIndexByte(good, '.')] + ".AAAA")
	f.Add(unsignedJWT(f, map[string]any{"alg": "none"}, map[string]any{"sub": "a", "exp": now.Unix() + 60, "scope": []string{"kafka"}}))
	f.Add("eyJhbGciOiJub25lIn0.eyJleHAiOiJ4In0.")
	f.Add("a.b.c")
	f.Add("..")
	f.Add("e30.e30.e30")
	f.Fuzz(func(t *testing.T, tok string) {
		for _, v := range []Validator{secure, unsecured} {
			got, err := v.Validate(context.Background(), tok)
			if err != nil {
				var ve *ValidationError
				if got != nil || !errors.As(err, &ve) || ve.Status == "" || ve.Reason == "" {
					t.Fatalf("%T: bad rejection %v %v", v, got, err)
				}
				continue
			}
			if got.Principal == "" || strings.TrimSpace(got.Principal) != got.Principal || got.Expiry.IsZero() {
				t.Fatalf("%T: accepted %q as %+v", v, tok, got)
			}
		}
	})
}
