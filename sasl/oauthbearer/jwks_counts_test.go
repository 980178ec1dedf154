package oauthbearer

import (
	"context"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
)

// TestJWKSFetchCounts checks the fetch and failure counts the broker
// exports as metrics: every attempt is a fetch, every failed one a
// failure, and a successful startup fetch is one of each kind at most.
func TestJWKSFetchCounts(t *testing.T) {
	idp := newTestIDP(t)
	idp.setKeys(newKey(t, "k1", jwa.RS256))
	j, err := NewJWKS(context.Background(), JWKSConfig{URL: idp.url(), RetryBackoff: time.Millisecond, RetryBackoffMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if j.Fetches() != 1 || j.FetchFailures() != 0 {
		t.Fatalf("after startup: %d fetches, %d failures; want 1, 0", j.Fetches(), j.FetchFailures())
	}
	idp.fail.Store(true)
	if ks, _ := j.Missing(context.Background(), "unknown-kid"); ks != nil {
		t.Fatal("a failed refresh returned keys")
	}
	if j.Fetches() != 2 || j.FetchFailures() != 1 {
		t.Fatalf("after a failed refresh: %d fetches, %d failures; want 2, 1", j.Fetches(), j.FetchFailures())
	}
	idp.fail.Store(false)
	if ks, _ := j.Missing(context.Background(), "other-kid"); ks == nil {
		t.Fatal("a good refresh returned no keys")
	}
	if j.Fetches() != 3 || j.FetchFailures() != 1 {
		t.Fatalf("after a good refresh: %d fetches, %d failures; want 3, 1", j.Fetches(), j.FetchFailures())
	}
}
