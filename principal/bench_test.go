package principal

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkBuildWarmCache measures DefaultBuilder.Build for a SASL user
// whose three groups are in a warm Cached resolver, with metrics on. The
// only allocation is the subject (one block holding the Subject and its
// group array).
func BenchmarkBuildWarmCache(b *testing.B) {
	m, err := NewMetrics(newRegistry())
	if err != nil {
		b.Fatal(err)
	}
	dir := GroupResolverFunc(func(context.Context, Principal, *AuthContext) ([]string, error) {
		return []string{"kafka-producers", "engineering", "platform"}, nil
	})
	builder := &DefaultBuilder{Groups: NewCached(dir, CacheOptions{Name: "bench", Metrics: m}), Metrics: m}
	ac := &AuthContext{Listener: "SASL_PLAINTEXT", SecurityProtocol: "SASL_PLAINTEXT", Mechanism: "PLAIN", AuthorizationID: "alice"}
	ctx := context.Background()
	if s, err := builder.Build(ctx, ac); err != nil || len(s.Groups) != 3 {
		b.Fatalf("%v, %v", s, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := builder.Build(ctx, ac)
		if err != nil || len(s.Groups) != 3 {
			b.Fatal(err)
		}
	}
}

// TestBuildWarmCacheAllocs holds the benchmark's allocation figure: one
// allocation per subject.
func TestBuildWarmCacheAllocs(t *testing.T) {
	m, err := NewMetrics(newRegistry())
	if err != nil {
		t.Fatal(err)
	}
	dir := GroupResolverFunc(func(context.Context, Principal, *AuthContext) ([]string, error) {
		return []string{"kafka-producers", "engineering", "platform"}, nil
	})
	builder := &DefaultBuilder{Groups: NewCached(dir, CacheOptions{Metrics: m}), Metrics: m}
	ac := &AuthContext{Listener: "SASL_PLAINTEXT", SecurityProtocol: "SASL_PLAINTEXT", Mechanism: "PLAIN", AuthorizationID: "alice"}
	ctx := context.Background()
	if _, err := builder.Build(ctx, ac); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = builder.Build(ctx, ac) }); n != 1 {
		t.Fatalf("%v allocations per warm Build, want 1 (the subject)", n)
	}
}

func newRegistry() *prometheus.Registry { return prometheus.NewRegistry() }
