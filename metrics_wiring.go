package minikafka

import (
	"fmt"
	"net/url"
	"sort"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/minikafka/minikafka/sasl/oauthbearer"
)

// registerMetrics registers the metrics of the root package's parts (the
// ACL count, the JWKS caches); broker.NewMetrics and principal.NewMetrics
// register the rest. The full list is in doc.go.
func (mb *Broker) registerMetrics() error {
	for _, c := range []prometheus.Collector{aclCollector{mb}, jwksCollector{mb}} {
		if err := mb.reg.Register(c); err != nil {
			return fmt.Errorf("minikafka: registering metrics: %w", err)
		}
	}
	return nil
}

var aclsDesc = prometheus.NewDesc("minikafka_acls",
	"ACLs held by the ACL authorizer, present when authorization is on (Kafka: acls-total-count).", nil, nil)

// aclCollector reports the number of ACLs at scrape time.
type aclCollector struct{ mb *Broker }

// Describe implements prometheus.Collector.
func (c aclCollector) Describe(ch chan<- *prometheus.Desc) { ch <- aclsDesc }

// Collect implements prometheus.Collector.
func (c aclCollector) Collect(ch chan<- prometheus.Metric) {
	if n, ok := aclCount(c.mb); ok {
		ch <- prometheus.MustNewConstMetric(aclsDesc, prometheus.GaugeValue, float64(n))
	}
}

// aclCount returns the number of ACLs when the ACL manager can tell.
func aclCount(mb *Broker) (int, bool) {
	l, ok := mb.acls.(interface{ Len() int })
	if !ok {
		return 0, false
	}
	return l.Len(), true
}

var (
	jwksFetchesDesc = prometheus.NewDesc("minikafka_oauth_jwks_fetches_total",
		"JWKS fetches (startup, scheduled refresh, unknown kid), by JWKS URL.", []string{"url"}, nil)
	jwksFailuresDesc = prometheus.NewDesc("minikafka_oauth_jwks_fetch_failures_total",
		"JWKS fetches that failed (the previous keys stay in use), by JWKS URL.", []string{"url"}, nil)
	jwksKeysDesc = prometheus.NewDesc("minikafka_oauth_jwks_keys",
		"Usable signature verification keys in the cached JWKS, by JWKS URL.", []string{"url"}, nil)
)

// jwksCollector reports the JWKS caches of OAUTHBEARER listeners at
// scrape time; caches of the same URL (different refresh settings) are
// summed.
type jwksCollector struct{ mb *Broker }

// Describe implements prometheus.Collector.
func (c jwksCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jwksFetchesDesc
	ch <- jwksFailuresDesc
	ch <- jwksKeysDesc
}

// Collect implements prometheus.Collector.
func (c jwksCollector) Collect(ch chan<- prometheus.Metric) {
	type sums struct{ fetches, failures, keys int64 }
	byURL := map[string]*sums{}
	for _, j := range c.mb.jwksCaches() {
		u := redactURL(j.Describe())
		s := byURL[u]
		if s == nil {
			s = &sums{}
			byURL[u] = s
		}
		s.fetches += j.Fetches()
		s.failures += j.FetchFailures()
		s.keys += int64(j.Keys().Len())
	}
	for u, s := range byURL {
		ch <- prometheus.MustNewConstMetric(jwksFetchesDesc, prometheus.CounterValue, float64(s.fetches), u)
		ch <- prometheus.MustNewConstMetric(jwksFailuresDesc, prometheus.CounterValue, float64(s.failures), u)
		ch <- prometheus.MustNewConstMetric(jwksKeysDesc, prometheus.GaugeValue, float64(s.keys), u)
	}
}

// jwksCaches returns the broker's JWKS caches, sorted by URL.
func (mb *Broker) jwksCaches() []*oauthbearer.JWKS {
	st := mb.oauthSt
	if st == nil {
		return nil
	}
	st.mu.Lock()
	out := make([]*oauthbearer.JWKS, 0, len(st.jwks))
	for _, j := range st.jwks {
		out = append(out, j)
	}
	st.mu.Unlock()
	sort.Slice(out, func(i, k int) bool { return out[i].Describe() < out[k].Describe() })
	return out
}

// redactURL drops credentials and the query of a URL used as a label.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "invalid-url"
	}
	u.User = nil
	u.RawQuery = ""
	u.Fragment = ""
	return u.String()
}
