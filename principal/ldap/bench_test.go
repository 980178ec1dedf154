package ldap

import (
	"context"
	"testing"

	"github.com/minikafka/minikafka/principal"
)

// BenchmarkColdLookup measures one uncached lookup of alice's groups
// (three, one of them nested, with a cycle) against the real slapd over a
// pooled, already bound connection: what a login costs on a cache miss.
func BenchmarkColdLookup(b *testing.B) {
	for _, mode := range []string{ModeMemberOf, ModeGroups} {
		b.Run(mode, func(b *testing.B) {
			cfg := baseConfig(shared)
			cfg.Mode = mode
			r, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			ctx := context.Background()
			alice := principal.User("alice")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				g, err := r.Groups(ctx, alice, nil)
				if err != nil || len(g) != 3 {
					b.Fatalf("%v, %v", g, err)
				}
			}
		})
	}
}
