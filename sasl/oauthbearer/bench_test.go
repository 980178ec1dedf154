package oauthbearer

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// BenchmarkJWTValidate measures one RS256 validation with a warm key set
// (what every new OAUTHBEARER connection costs the broker).
func BenchmarkJWTValidate(b *testing.B) {
	key := newKey(b, "k1", jwa.RS256)
	pub, _ := key.PublicKey()
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	v, err := NewJWTValidator(JWTConfig{Keys: StaticKeys{Set: NewKeySet(set), Name: "bench"}, ExpectedAudience: []string{"kafka"}, ExpectedIssuer: "https://idp.test"})
	if err != nil {
		b.Fatal(err)
	}
	tok := sign(b, key, jwa.RS256, stdClaims("alice", time.Now()), map[string]any{"typ": "at+jwt"})
	ctx := context.Background()
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := v.Validate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// cpuTime is the process CPU time (user + system), which unlike ns/op does
// not grow when other processes compete for the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkExchange is one whole OAUTHBEARER server exchange: parse the
// client initial response, validate, build the identity.
func BenchmarkExchange(b *testing.B) {
	key := newKey(b, "k1", jwa.RS256)
	pub, _ := key.PublicKey()
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	v, _ := NewJWTValidator(JWTConfig{Keys: StaticKeys{Set: NewKeySet(set), Name: "bench"}, ExpectedAudience: []string{"kafka"}})
	m, _ := New(Config{Validator: v})
	msg := initialResponse(sign(b, key, jwa.RS256, stdClaims("alice", time.Now()), nil), "traceId", "x")
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if _, _, done, err := step(m, msg); err != nil || !done {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}
