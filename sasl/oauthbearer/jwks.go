package oauthbearer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// KeySource supplies the verification keys of a JWTValidator.
type KeySource interface {
	// Keys returns the current key set (never nil).
	Keys() *KeySet
	// Missing is called when no key of the current set matches kid. A
	// source may refresh its keys synchronously and return the new set for
	// one more attempt; it returns nil when it did not refresh (rate
	// limited, not refreshable, or the refresh failed) and then says why.
	Missing(ctx context.Context, kid string) (*KeySet, string)
	// Describe names the source in log lines (e.g. the JWKS URL).
	Describe() string
}

// StaticKeys is a KeySource whose keys never change (an in-process issuer,
// or keys loaded once).
type StaticKeys struct {
	Set  *KeySet
	Name string
}

// Keys implements KeySource.
func (s StaticKeys) Keys() *KeySet { return s.Set }

// Missing implements KeySource: a static set is never refreshed.
func (s StaticKeys) Missing(context.Context, string) (*KeySet, string) {
	return nil, "the key set is static"
}

// Describe implements KeySource.
func (s StaticKeys) Describe() string { return s.Name }

// JWKSConfig configures a JWKS fetched from a URL (Kafka's
// sasl.oauthbearer.jwks.endpoint.* settings).
type JWKSConfig struct {
	// URL is the JWKS location: http://, https:// or file://. A file is
	// read once, at startup, and never reloaded (as in Kafka).
	URL string
	// Refresh is the period of the scheduled refresh
	// (sasl.oauthbearer.jwks.endpoint.refresh.ms, default 1 h).
	Refresh time.Duration
	// RetryBackoff and RetryBackoffMax bound the retries of one fetch: the
	// wait starts at RetryBackoff (default 100 ms) and doubles; retrying
	// stops once RetryBackoffMax (default 10 s) has elapsed.
	RetryBackoff    time.Duration
	RetryBackoffMax time.Duration
	// HTTPClient fetches the JWKS (default: a client with a 10 s timeout).
	HTTPClient *http.Client
	// Logger receives refresh failures at WARN (default: discard).
	Logger *slog.Logger
	// Now is the clock of the per-kid refresh rate limit (default time.Now).
	Now func() time.Time
}

// Rate limits of refreshes triggered by an unknown kid, as Kafka's
// RefreshingHttpsJwks.
const (
	missingKidRefreshInterval = 60 * time.Second
	missingKidsRemembered     = 16
	missingKidMaxLength       = 1000
)

// JWKS is a KeySource that fetches a JWKS at startup, refreshes it on a
// schedule and, on an unknown kid, at most once a minute per kid. A failed
// refresh keeps the previous keys. It never fetches per connection.
type JWKS struct {
	cfg    JWKSConfig
	file   bool
	keys   atomic.Pointer[KeySet]
	log    *slog.Logger
	stop   chan struct{}
	done   chan struct{}
	closed sync.Once

	mu       sync.Mutex
	missing  map[string]time.Time // kid -> last refresh it triggered
	order    []string             // kids of missing, oldest first
	inflight chan struct{}        // closed when the running fetch ends
	fetches  atomic.Int64
	failures atomic.Int64
}

// NewJWKS fetches the JWKS (retrying within RetryBackoffMax) and starts
// the scheduled refresh. A failure is returned naming the URL, so that a
// broker with an unreachable JWKS does not start (Kafka's behaviour).
// Close stops the refresh.
func NewJWKS(ctx context.Context, cfg JWKSConfig) (*JWKS, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") {
		return nil, fmt.Errorf("oauthbearer: JWKS URL %q must be an http, https or file URL", cfg.URL)
	}
	if cfg.Refresh == 0 {
		cfg.Refresh = time.Hour
	}
	if cfg.Refresh < 0 {
		return nil, fmt.Errorf("oauthbearer: JWKS refresh period must be positive, got %v", cfg.Refresh)
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = 100 * time.Millisecond
	}
	if cfg.RetryBackoffMax <= 0 {
		cfg.RetryBackoffMax = 10 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	j := &JWKS{cfg: cfg, file: u.Scheme == "file", log: cfg.Logger, missing: map[string]time.Time{},
		stop: make(chan struct{}), done: make(chan struct{})}
	ks, err := j.fetchWithRetry(ctx)
	if err != nil {
		return nil, fmt.Errorf("oauthbearer: initial fetch of the JWKS from %s failed: %w", cfg.URL, err)
	}
	j.install(ks)
	if j.file {
		close(j.done)
	} else {
		go j.refreshLoop()
	}
	return j, nil
}

// Keys implements KeySource.
func (j *JWKS) Keys() *KeySet { return j.keys.Load() }

// Describe implements KeySource.
func (j *JWKS) Describe() string { return j.cfg.URL }

// Fetches returns how many times the JWKS was fetched (for tests and
// metrics).
func (j *JWKS) Fetches() int64 { return j.fetches.Load() }

// FetchFailures returns how many of those fetches failed (unreachable,
// a non-200 answer, or a document that is not a JWKS).
func (j *JWKS) FetchFailures() int64 { return j.failures.Load() }

// Close stops the scheduled refresh and waits for it.
func (j *JWKS) Close() error {
	j.closed.Do(func() {
		if !j.file {
			close(j.stop)
		}
	})
	<-j.done
	return nil
}

// Missing implements KeySource: an unknown kid triggers one synchronous
// refresh, at most once per 60 s per kid (16 kids remembered; a kid longer
// than 1000 characters never triggers one). Concurrent callers share one
// fetch.
func (j *JWKS) Missing(ctx context.Context, kid string) (*KeySet, string) {
	if j.file {
		return nil, "a file JWKS is never reloaded"
	}
	if kid == "" {
		return nil, "the token has no kid"
	}
	if len(kid) > missingKidMaxLength {
		return nil, fmt.Sprintf("kid longer than %d characters never triggers a refresh", missingKidMaxLength)
	}
	now := j.cfg.Now()
	j.mu.Lock()
	if last, ok := j.missing[kid]; ok && now.Sub(last) < missingKidRefreshInterval {
		j.mu.Unlock()
		return nil, fmt.Sprintf("this kid already triggered a JWKS refresh %v ago (at most one per %v)", now.Sub(last).Round(time.Millisecond), missingKidRefreshInterval)
	}
	j.remember(kid, now)
	wait := j.inflight
	if wait == nil {
		wait = make(chan struct{})
		j.inflight = wait
		j.mu.Unlock()
		ks, err := j.fetchOnce(ctx)
		if err != nil {
			j.log.Warn(fmt.Sprintf("OAuth JWKS refresh of %s encountered an error; not updating local JWKS cache", j.cfg.URL), "trigger", "unknown kid", "kid", kid, "err", err)
		} else {
			j.install(ks)
		}
		j.mu.Lock()
		j.inflight = nil
		close(wait)
		j.mu.Unlock()
		if err != nil {
			return nil, "the JWKS refresh failed: " + err.Error()
		}
		return ks, ""
	}
	j.mu.Unlock()
	select {
	case <-wait:
	case <-ctx.Done():
		return nil, "gave up waiting for the JWKS refresh: " + ctx.Err().Error()
	}
	return j.Keys(), ""
}

// remember records that kid triggered a refresh at now; the mutex is held.
func (j *JWKS) remember(kid string, now time.Time) {
	if _, ok := j.missing[kid]; ok {
		for i, k := range j.order {
			if k == kid {
				j.order = append(j.order[:i], j.order[i+1:]...)
				break
			}
		}
	}
	j.missing[kid] = now
	j.order = append(j.order, kid)
	for len(j.order) > missingKidsRemembered {
		delete(j.missing, j.order[0])
		j.order = j.order[1:]
	}
}

func (j *JWKS) install(ks *KeySet) {
	for _, s := range ks.skipped {
		j.log.Debug("JWKS key ignored", "url", j.cfg.URL, "key", s)
	}
	if ks.Len() == 0 {
		j.log.Warn("the JWKS has no usable signature verification key", "url", j.cfg.URL)
	}
	j.keys.Store(ks)
}

func (j *JWKS) refreshLoop() {
	defer close(j.done)
	t := time.NewTicker(j.cfg.Refresh)
	defer t.Stop()
	for {
		select {
		case <-j.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-j.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		ks, err := j.fetchWithRetry(ctx)
		cancel()
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return
			}
			j.log.Warn(fmt.Sprintf("OAuth JWKS refresh of %s encountered an error; not updating local JWKS cache", j.cfg.URL), "trigger", "scheduled", "err", err)
			continue
		}
		j.install(ks)
	}
}

// fetchWithRetry retries a failed fetch with a doubling backoff until
// RetryBackoffMax has elapsed (Kafka's Retry).
func (j *JWKS) fetchWithRetry(ctx context.Context) (*KeySet, error) {
	end := time.Now().Add(j.cfg.RetryBackoffMax)
	wait := j.cfg.RetryBackoff
	for {
		ks, err := j.fetchOnce(ctx)
		if err == nil || j.file {
			return ks, err
		}
		left := time.Until(end)
		if left <= 0 {
			return nil, err
		}
		t := time.NewTimer(min(wait, left))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, errors.Join(err, ctx.Err())
		}
		wait *= 2
	}
}

const maxJWKSBytes = 4 << 20

func (j *JWKS) fetchOnce(ctx context.Context) (*KeySet, error) {
	j.fetches.Add(1)
	ks, err := j.fetch(ctx)
	if err != nil {
		j.failures.Add(1)
	}
	return ks, err
}

func (j *JWKS) fetch(ctx context.Context) (*KeySet, error) {
	var doc []byte
	if j.file {
		u, _ := url.Parse(j.cfg.URL)
		path := u.Path
		if path == "" {
			path = u.Opaque
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		doc = b
	} else {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.cfg.URL, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json, application/jwk-set+json")
		resp, err := j.cfg.HTTPClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
		if err != nil {
			return nil, fmt.Errorf("reading the response: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("HTTP status %s: %s", resp.Status, strings.TrimSpace(string(b[:min(len(b), 200)])))
		}
		if len(b) > maxJWKSBytes {
			return nil, fmt.Errorf("the JWKS is larger than %d bytes", maxJWKSBytes)
		}
		doc = b
	}
	return ParseKeySet(doc)
}
