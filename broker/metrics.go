package broker

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Metrics are the broker's Prometheus metrics, registered on a registry
// owned by one broker (never the global one). A nil *Metrics records
// nothing. The full list with labels is in the package doc of the root
// package.
type Metrics struct {
	requests       *prometheus.CounterVec
	requestLatency *prometheus.HistogramVec
	bytesIn        prometheus.Counter
	bytesOutC      prometheus.Counter
	recordsIn      *prometheus.CounterVec
	connsActive    *prometheus.GaugeVec
	connsTotal     *prometheus.CounterVec
	connsRejected  *prometheus.CounterVec
	auth           *prometheus.CounterVec
	reauths        *prometheus.CounterVec
	expiredKills   *prometheus.CounterVec
	authzDecisions *prometheus.CounterVec
}

// NewMetrics creates the broker metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "minikafka_requests_total", Help: "Requests handled, by API and version."}, []string{"api", "version"}),
		requestLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "minikafka_request_duration_seconds", Help: "Time to handle a request, by API.",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5}}, []string{"api"}),
		bytesIn:       prometheus.NewCounter(prometheus.CounterOpts{Name: "minikafka_bytes_in_total", Help: "Request bytes received."}),
		bytesOutC:     prometheus.NewCounter(prometheus.CounterOpts{Name: "minikafka_bytes_out_total", Help: "Response bytes sent."}),
		recordsIn:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "minikafka_records_in_total", Help: "Records appended, by topic."}, []string{"topic"}),
		connsActive:   prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "minikafka_connections_active", Help: "Open connections, by listener."}, []string{"listener"}),
		connsTotal:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "minikafka_connections_total", Help: "Connections accepted, by listener."}, []string{"listener"}),
		connsRejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "minikafka_connections_rejected_total", Help: "Connections refused by max.connections limits, by listener."}, []string{"listener"}),
		auth: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "minikafka_authentications_total",
			Help: "Authentication attempts by listener, mechanism, result and reason (Kafka: successful-authentication-total / failed-authentication-total)."}, []string{"listener", "mechanism", "result", "reason"}),
		reauths: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "minikafka_reauthentications_total",
			Help: "KIP-368 re-authentications by listener, mechanism and result (Kafka: successful-reauthentication-total / failed-reauthentication-total)."}, []string{"listener", "mechanism", "result"}),
		expiredKills: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "minikafka_expired_connections_killed_total",
			Help: "Connections closed because their session expired (Kafka: expired-connections-killed-count)."}, []string{"listener"}),
		authzDecisions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "minikafka_authorization_decisions_total",
			Help: "Authorization decisions by operation, resource type and decision."}, []string{"operation", "resource_type", "decision"}),
	}
	reg.MustRegister(m.requests, m.requestLatency, m.bytesIn, m.bytesOutC, m.recordsIn, m.connsActive, m.connsTotal,
		m.connsRejected, m.auth, m.reauths, m.expiredKills, m.authzDecisions)
	return m
}

func (m *Metrics) request(key, version int16, d time.Duration, size int) {
	if m == nil {
		return
	}
	name := kmsg.NameForKey(key)
	m.requests.WithLabelValues(name, strconv.Itoa(int(version))).Inc()
	m.requestLatency.WithLabelValues(name).Observe(d.Seconds())
	m.bytesIn.Add(float64(size + 4))
}

func (m *Metrics) bytesOut(n int) {
	if m != nil {
		m.bytesOutC.Add(float64(n))
	}
}

func (m *Metrics) records(topic string, n int) {
	if m != nil {
		m.recordsIn.WithLabelValues(topic).Add(float64(n))
	}
}

func (m *Metrics) connOpened(l string) {
	if m != nil {
		m.connsActive.WithLabelValues(l).Inc()
		m.connsTotal.WithLabelValues(l).Inc()
	}
}

func (m *Metrics) connClosed(l string) {
	if m != nil {
		m.connsActive.WithLabelValues(l).Dec()
	}
}

func (m *Metrics) connRejected(l string) {
	if m != nil {
		m.connsRejected.WithLabelValues(l).Inc()
	}
}

func (m *Metrics) authResult(listener, mech, result, reason string) {
	if m != nil {
		m.auth.WithLabelValues(listener, mech, result, reason).Inc()
	}
}

func (m *Metrics) reauth(listener, mech string, ok bool) {
	if m != nil {
		r := "failure"
		if ok {
			r = "success"
		}
		m.reauths.WithLabelValues(listener, mech, r).Inc()
	}
}

func (m *Metrics) expiredKilled(listener string) {
	if m != nil {
		m.expiredKills.WithLabelValues(listener).Inc()
	}
}

func (m *Metrics) decision(op, rt, d string) {
	if m != nil {
		m.authzDecisions.WithLabelValues(op, rt, d).Inc()
	}
}
