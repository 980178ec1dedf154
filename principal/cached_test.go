package principal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeClock is an injected clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestChain(t *testing.T) {
	a := GroupResolverFunc(func(context.Context, Principal, *AuthContext) ([]string, error) {
		return []string{"x", "y", "x"}, nil
	})
	b := GroupResolverFunc(func(context.Context, Principal, *AuthContext) ([]string, error) {
		return []string{"y", "", "z"}, nil
	})
	boom := GroupResolverFunc(func(context.Context, Principal, *AuthContext) ([]string, error) {
		return []string{"partial"}, errors.New("directory down")
	})
	big := GroupResolverFunc(func(context.Context, Principal, *AuthContext) ([]string, error) {
		return append(groupNames(30), groupNames(30)...), nil
	})
	ctx := context.Background()
	if got, err := (Chain{a, b}).Groups(ctx, User("u"), nil); err != nil || fmt.Sprint(got) != "[x y z]" {
		t.Fatalf("union = %v, %v", got, err)
	}
	if got, err := (Chain{big, a}).Groups(ctx, User("u"), nil); err != nil || len(got) != 32 || got[30] != "x" {
		t.Fatalf("large union = %v, %v", got, err)
	}
	got, err := (Chain{a, boom, b}).Groups(ctx, User("u"), nil)
	if err == nil || got != nil || !strings.Contains(err.Error(), "group resolver 2 of 3: directory down") {
		t.Fatalf("failing chain = %v, %v", got, err)
	}
	if got, err := (Chain{}).Groups(ctx, User("u"), nil); got != nil || err != nil {
		t.Fatalf("empty chain = %v, %v", got, err)
	}
}

func TestCachedTTL(t *testing.T) {
	clock := &fakeClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := &countingResolver{groups: map[string][]string{"alice": {"eng"}}}
	reg := prometheus.NewRegistry()
	m, _ := NewMetrics(reg)
	c := NewCached(r, CacheOptions{Name: "test", TTL: time.Minute, NegativeTTL: 10 * time.Second, Now: clock.Now, Metrics: m})
	ctx := context.Background()
	get := func(user string) []string {
		t.Helper()
		g, err := c.Groups(ctx, User(user), nil)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	get("alice")
	get("alice")
	if n := r.count("alice"); n != 1 {
		t.Fatalf("%d lookups within the TTL", n)
	}
	clock.Add(time.Minute)
	if g := get("alice"); fmt.Sprint(g) != "[eng]" || r.count("alice") != 2 {
		t.Fatalf("after TTL: %v, %d lookups", g, r.count("alice"))
	}
	// Negative caching: an unknown user is remembered for NegativeTTL.
	get("nobody")
	clock.Add(9 * time.Second)
	get("nobody")
	if n := r.count("nobody"); n != 1 {
		t.Fatalf("%d lookups within the negative TTL", n)
	}
	clock.Add(time.Second)
	get("nobody")
	if n := r.count("nobody"); n != 2 {
		t.Fatalf("%d lookups after the negative TTL", n)
	}
	// Errors are not cached.
	r.mu.Lock()
	r.err = errors.New("down")
	r.mu.Unlock()
	clock.Add(time.Hour)
	for i := 0; i < 2; i++ {
		if _, err := c.Groups(ctx, User("alice"), nil); err == nil {
			t.Fatal("no error")
		}
	}
	if n := r.count("alice"); n != 4 {
		t.Fatalf("errors cached: %d lookups", n)
	}
	// Invalidate forgets.
	r.mu.Lock()
	r.err = nil
	r.mu.Unlock()
	get("alice")
	c.Invalidate(User("alice"))
	get("alice")
	if n := r.count("alice"); n != 6 {
		t.Fatalf("after Invalidate: %d lookups", n)
	}
	for result, want := range map[string]float64{"hit": 1, "negative_hit": 1, "miss": 8} {
		if v := testutil.ToFloat64(m.cache.WithLabelValues("test", result)); v != want {
			t.Errorf("cache %s = %v, want %v", result, v, want)
		}
	}
	if n := testutil.CollectAndCount(m.lookups); n != 2 {
		t.Errorf("lookup histogram series = %d, want ok and error", n)
	}
}

func TestCachedNegativeCachingDisabled(t *testing.T) {
	r := &countingResolver{}
	c := NewCached(r, CacheOptions{NegativeTTL: -1})
	for i := 0; i < 3; i++ {
		if _, err := c.Groups(context.Background(), User("nobody"), nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.count("nobody"); n != 3 {
		t.Fatalf("%d lookups, want 3", n)
	}
}

// blockingResolver blocks each lookup of a user until released.
type blockingResolver struct {
	calls   atomic.Int32
	started chan string
	release map[string]chan struct{}
}

func (r *blockingResolver) Groups(ctx context.Context, user Principal, _ *AuthContext) ([]string, error) {
	r.calls.Add(1)
	r.started <- user.Name
	select {
	case <-r.release[user.Name]:
		return []string{"g-" + user.Name}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestCachedSingleFlight: concurrent misses for one user make one lookup,
// and a slow user does not hold up another.
func TestCachedSingleFlight(t *testing.T) {
	r := &blockingResolver{started: make(chan string, 100), release: map[string]chan struct{}{
		"slow": make(chan struct{}), "fast": make(chan struct{}),
	}}
	close(r.release["fast"])
	m, _ := NewMetrics(prometheus.NewRegistry())
	c := NewCached(r, CacheOptions{Name: "c", Metrics: m})
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make(chan string, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, err := c.Groups(ctx, User("slow"), nil)
			if err != nil {
				results <- err.Error()
				return
			}
			results <- g[0]
		}()
	}
	if u := <-r.started; u != "slow" {
		t.Fatalf("first lookup for %q", u)
	}
	// While "slow" is stuck in the directory, "fast" resolves.
	done := make(chan []string)
	go func() {
		g, _ := c.Groups(ctx, User("fast"), nil)
		done <- g
	}()
	if u := <-r.started; u != "fast" {
		t.Fatalf("second lookup for %q", u)
	}
	if g := <-done; len(g) != 1 || g[0] != "g-fast" {
		t.Fatalf("fast = %v", g)
	}
	// Wait until the nine others joined the flight, then release it.
	shared := m.cache.WithLabelValues("c", "shared")
	for deadline := time.Now().Add(10 * time.Second); testutil.ToFloat64(shared) != 9; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%v callers joined the lookup, want 9", testutil.ToFloat64(shared))
		}
	}
	close(r.release["slow"])
	wg.Wait()
	close(results)
	for g := range results {
		if g != "g-slow" {
			t.Fatalf("result %q", g)
		}
	}
	if n := r.calls.Load(); n != 2 {
		t.Fatalf("%d lookups, want 2 (one per user)", n)
	}
}

// TestCachedLeaderCanceled: when the caller that started a lookup gives
// up, the callers that joined it start their own.
func TestCachedLeaderCanceled(t *testing.T) {
	r := &blockingResolver{started: make(chan string, 10), release: map[string]chan struct{}{"u": make(chan struct{})}}
	m, _ := NewMetrics(prometheus.NewRegistry())
	c := NewCached(r, CacheOptions{Name: "c", Metrics: m})
	leaderCtx, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error)
	go func() {
		_, err := c.Groups(leaderCtx, User("u"), nil)
		leaderErr <- err
	}()
	<-r.started
	joined := make(chan []string)
	go func() {
		g, _ := c.Groups(context.Background(), User("u"), nil)
		joined <- g
	}()
	shared := m.cache.WithLabelValues("c", "shared")
	for deadline := time.Now().Add(10 * time.Second); testutil.ToFloat64(shared) != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second caller never joined the lookup")
		}
	}
	cancel()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader: %v", err)
	}
	<-r.started // the joiner's own lookup
	close(r.release["u"])
	if g := <-joined; len(g) != 1 || g[0] != "g-u" {
		t.Fatalf("joiner got %v", g)
	}
}

func TestCachedMaxEntries(t *testing.T) {
	r := &countingResolver{groups: map[string][]string{}}
	for i := 0; i < 10; i++ {
		r.groups[fmt.Sprint(i)] = []string{"g"}
	}
	c := NewCached(r, CacheOptions{MaxEntries: 4})
	for i := 0; i < 10; i++ {
		if _, err := c.Groups(context.Background(), User(fmt.Sprint(i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	c.mu.RLock()
	n := len(c.entries)
	c.mu.RUnlock()
	if n != 4 {
		t.Fatalf("%d entries, want 4", n)
	}
}
