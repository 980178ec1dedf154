package principal

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts what group resolution does. It is registered on the
// registry of one broker (never the global one); a nil *Metrics records
// nothing. The metrics:
//
//	minikafka_group_resolutions_total{listener,result}
//	    group resolutions of authenticated subjects (every resolver of the
//	    chain asked once); result is ok or error
//	minikafka_group_resolution_failures_total{listener,policy}
//	    subjects whose groups could not be resolved; policy is lenient
//	    (authenticated without groups) or strict (authentication refused)
//	minikafka_group_cache_requests_total{cache,result}
//	    lookups through a Cached resolver; result is hit, negative_hit
//	    (a cached empty answer), shared (joined a lookup in flight) or miss
//	minikafka_group_lookup_duration_seconds{cache,outcome}
//	    time of the lookups a Cached resolver made (its misses); outcome is
//	    ok or error
type Metrics struct {
	resolutions *prometheus.CounterVec
	failures    *prometheus.CounterVec
	cache       *prometheus.CounterVec
	lookups     *prometheus.HistogramVec
}

// NewMetrics creates the metrics and registers them on reg. An error means
// reg already has metrics of the same names.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		resolutions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "minikafka_group_resolutions_total",
			Help: "Group resolutions of authenticated subjects, by listener and result (ok, error).",
		}, []string{"listener", "result"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "minikafka_group_resolution_failures_total",
			Help: "Subjects whose groups could not be resolved, by listener and failure policy (lenient: authenticated without groups; strict: refused).",
		}, []string{"listener", "policy"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "minikafka_group_cache_requests_total",
			Help: "Group lookups through a cache, by cache and result (hit, negative_hit, shared, miss).",
		}, []string{"cache", "result"}),
		lookups: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "minikafka_group_lookup_duration_seconds",
			Help:    "Duration of the group lookups a cache made on a miss, by cache and outcome.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"cache", "outcome"}),
	}
	for _, c := range []prometheus.Collector{m.resolutions, m.failures, m.cache, m.lookups} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, errors.New("principal: group metrics are already registered on this registry")
			}
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) resolution(listener string, err error) {
	if m != nil {
		result := "ok"
		if err != nil {
			result = "error"
		}
		m.resolutions.WithLabelValues(listener, result).Inc()
	}
}

func (m *Metrics) groupFailure(listener string, p FailurePolicy) {
	if m != nil {
		m.failures.WithLabelValues(listener, p.String()).Inc()
	}
}

// cacheCounters are the per-cache children, resolved once so that a cache
// hit costs one atomic add.
type cacheCounters struct {
	hit, negativeHit, shared, miss prometheus.Counter
	ok, failed                     prometheus.Observer
}

func (m *Metrics) forCache(name string) *cacheCounters {
	if m == nil {
		return nil
	}
	return &cacheCounters{
		hit:         m.cache.WithLabelValues(name, "hit"),
		negativeHit: m.cache.WithLabelValues(name, "negative_hit"),
		shared:      m.cache.WithLabelValues(name, "shared"),
		miss:        m.cache.WithLabelValues(name, "miss"),
		ok:          m.lookups.WithLabelValues(name, "ok"),
		failed:      m.lookups.WithLabelValues(name, "error"),
	}
}

func (c *cacheCounters) observe(d time.Duration, err error) {
	if c == nil {
		return
	}
	if err != nil {
		c.failed.Observe(d.Seconds())
	} else {
		c.ok.Observe(d.Seconds())
	}
}
