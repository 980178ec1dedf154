package principal

import (
	"context"
	"errors"
	"sync"
	"time"
)

// CacheOptions configure Cached.
type CacheOptions struct {
	// Name labels the cache in metrics and logs (e.g. "ldap").
	Name string
	// TTL is how long a user's groups are kept (default 5 min, Hadoop's
	// hadoop.security.groups.cache.secs).
	TTL time.Duration
	// NegativeTTL is how long an empty answer (unknown user, no groups)
	// is kept (default 30 s, Hadoop's negative cache); negative disables
	// negative caching.
	NegativeTTL time.Duration
	// MaxEntries bounds the cache (default 10000); when full, expired
	// entries are dropped first, then arbitrary ones.
	MaxEntries int
	// Now is the clock (default time.Now).
	Now     func() time.Time
	Metrics *Metrics
}

// Cached is a GroupResolver decorator that keeps each user's groups for a
// TTL. Concurrent misses for the same user share one lookup (single
// flight); lookups for different users run concurrently, and no lock is
// held while one runs. Errors are not cached.
//
// Entries are keyed by the user principal alone, so Cached fits resolvers
// whose answer depends only on the user (directories, files, the OS), not
// on the token (jwtclaims). The slices it returns are shared: callers must
// not modify them.
type Cached struct {
	r    GroupResolver
	opts CacheOptions
	ctr  *cacheCounters

	mu      sync.RWMutex
	entries map[Principal]cacheEntry
	flights map[Principal]*flight
}

type cacheEntry struct {
	groups  []string
	expires time.Time
}

type flight struct {
	done   chan struct{}
	groups []string
	err    error
}

// NewCached wraps r.
func NewCached(r GroupResolver, opts CacheOptions) *Cached {
	if opts.TTL <= 0 {
		opts.TTL = 5 * time.Minute
	}
	if opts.NegativeTTL == 0 {
		opts.NegativeTTL = 30 * time.Second
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = 10000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Cached{
		r:       r,
		opts:    opts,
		ctr:     opts.Metrics.forCache(opts.Name),
		entries: map[Principal]cacheEntry{},
		flights: map[Principal]*flight{},
	}
}

// Groups returns the cached groups of user, or looks them up.
func (c *Cached) Groups(ctx context.Context, user Principal, ac *AuthContext) ([]string, error) {
	c.mu.RLock()
	e, ok := c.entries[user]
	c.mu.RUnlock()
	if ok && c.opts.Now().Before(e.expires) {
		if c.ctr != nil {
			if len(e.groups) == 0 {
				c.ctr.negativeHit.Inc()
			} else {
				c.ctr.hit.Inc()
			}
		}
		return e.groups, nil
	}
	groups, leaderCanceled, err := c.lookup(ctx, user, ac)
	if leaderCanceled && ctx.Err() == nil {
		// The lookup we joined was abandoned by its caller; ours is
		// still wanted.
		groups, _, err = c.lookup(ctx, user, ac)
	}
	return groups, err
}

// lookup runs or joins the lookup of user. leaderCanceled reports a
// joined lookup that failed because its own caller gave up.
func (c *Cached) lookup(ctx context.Context, user Principal, ac *AuthContext) ([]string, bool, error) {
	c.mu.Lock()
	if e, ok := c.entries[user]; ok && c.opts.Now().Before(e.expires) {
		c.mu.Unlock()
		return e.groups, false, nil
	}
	if f, ok := c.flights[user]; ok {
		c.mu.Unlock()
		if c.ctr != nil {
			c.ctr.shared.Inc()
		}
		select {
		case <-f.done:
			canceled := errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)
			return f.groups, canceled, f.err
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	c.flights[user] = f
	c.mu.Unlock()
	if c.ctr != nil {
		c.ctr.miss.Inc()
	}

	f.err = errors.New("group lookup panicked") // replaced unless it does
	defer c.land(user, f)
	start := time.Now()
	f.groups, f.err = c.r.Groups(ctx, user, ac)
	c.ctr.observe(time.Since(start), f.err)
	return f.groups, false, f.err
}

// land ends a flight: it caches a successful answer and wakes the waiters.
func (c *Cached) land(user Principal, f *flight) {
	c.mu.Lock()
	delete(c.flights, user)
	if f.err == nil {
		ttl := c.opts.TTL
		if len(f.groups) == 0 {
			ttl = c.opts.NegativeTTL
		}
		if ttl > 0 {
			c.store(user, cacheEntry{groups: f.groups, expires: c.opts.Now().Add(ttl)})
		}
	}
	c.mu.Unlock()
	close(f.done)
}

// store adds an entry, making room first (c.mu held).
func (c *Cached) store(user Principal, e cacheEntry) {
	if _, ok := c.entries[user]; !ok && len(c.entries) >= c.opts.MaxEntries {
		now := c.opts.Now()
		for k, old := range c.entries {
			if !now.Before(old.expires) {
				delete(c.entries, k)
			}
		}
		for k := range c.entries {
			if len(c.entries) < c.opts.MaxEntries {
				break
			}
			delete(c.entries, k)
		}
	}
	c.entries[user] = e
}

// Invalidate drops the cached groups of user (all users when user is the
// zero Principal).
func (c *Cached) Invalidate(user Principal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if user == (Principal{}) {
		clear(c.entries)
		return
	}
	delete(c.entries, user)
}
