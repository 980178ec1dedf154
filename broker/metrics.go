package broker

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
)

// Metrics are the broker's Prometheus metrics, registered on a registry
// owned by one broker (never the global one). A nil *Metrics records
// nothing. One Metrics serves one Broker (New attaches it). The full list
// with labels and Kafka's equivalent names is in the package doc of the
// root package (doc.go).
//
// The per-request paths (request counts and latency, bytes, records,
// authorization decisions) use label children resolved once and cached,
// so that recording costs atomic adds and no allocation.
type Metrics struct {
	requests       *prometheus.CounterVec
	requestLatency *prometheus.HistogramVec
	bytesIn        *prometheus.CounterVec
	bytesOut       *prometheus.CounterVec
	recordsIn      *prometheus.CounterVec
	topicBytesIn   *prometheus.CounterVec
	connsActive    *prometheus.GaugeVec
	connsTotal     *prometheus.CounterVec
	connsRejected  *prometheus.CounterVec
	auth           *prometheus.CounterVec
	reauths        *prometheus.CounterVec
	expiredKills   *prometheus.CounterVec
	authzDecisions *prometheus.CounterVec
	offsetCommits  prometheus.Counter

	broker atomic.Pointer[Broker] // for the collectors of broker state

	reqCells   [128][maxVersions]cell[prometheus.Counter]
	latCells   [128]cell[prometheus.Observer]
	authzCells [numOps][numResourceTypes][2]cell[prometheus.Counter]
}

const (
	maxVersions      = 32
	numOps           = 15 // authorizer operations 0..14
	numResourceTypes = 8  // authorizer resource types 0..7
)

// cell caches one label child of a vector.
type cell[T any] struct{ p atomic.Pointer[T] }

func (c *cell[T]) get(mk func() T) T {
	if p := c.p.Load(); p != nil {
		return *p
	}
	v := mk()
	c.p.Store(&v) // a race stores the same child twice: harmless
	return v
}

// NewMetrics creates the broker metrics and registers them on reg. It
// panics if reg already has metrics of the same names (a registry per
// broker).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	m := &Metrics{
		requests: counter("minikafka_requests_total", "Requests handled, by API and version (Kafka: RequestsPerSec).", "api", "version"),
		requestLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "minikafka_request_duration_seconds",
			Help:    "Time from a decoded request to its encoded response, by API (Kafka: TotalTimeMs).",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5}}, []string{"api"}),
		bytesIn:       counter("minikafka_bytes_in_total", "Request bytes received (frames with their size prefix), by listener (Kafka: incoming-byte-total).", "listener"),
		bytesOut:      counter("minikafka_bytes_out_total", "Response bytes sent, by listener (Kafka: outgoing-byte-total).", "listener"),
		recordsIn:     counter("minikafka_records_in_total", "Records appended, by topic (Kafka: MessagesInPerSec).", "topic"),
		topicBytesIn:  counter("minikafka_topic_bytes_in_total", "Record batch bytes appended, by topic (Kafka: BytesInPerSec).", "topic"),
		connsActive:   prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "minikafka_connections_active", Help: "Open connections, by listener (Kafka: connection-count)."}, []string{"listener"}),
		connsTotal:    counter("minikafka_connections_total", "Connections accepted, by listener (Kafka: connection-creation-total).", "listener"),
		connsRejected: counter("minikafka_connections_rejected_total", "Connections refused by max.connections or max.connections.per.ip, by listener.", "listener"),
		auth: counter("minikafka_authentications_total",
			"First authentications of connections by listener, mechanism, result and reason (Kafka: successful-authentication-total, failed-authentication-total).",
			"listener", "mechanism", "result", "reason"),
		reauths: counter("minikafka_reauthentications_total",
			"KIP-368 re-authentications by listener, mechanism, result and reason (Kafka: successful-reauthentication-total, failed-reauthentication-total).",
			"listener", "mechanism", "result", "reason"),
		expiredKills: counter("minikafka_expired_connections_killed_total",
			"Connections closed because their session expired (Kafka: expired-connections-killed-count).", "listener"),
		authzDecisions: counter("minikafka_authorization_decisions_total",
			"Authorization decisions by operation, resource type and decision (Kafka: authorization-allowed-rate-per-minute, authorization-denied-rate-per-minute).",
			"operation", "resource_type", "decision"),
		offsetCommits: prometheus.NewCounter(prometheus.CounterOpts{Name: "minikafka_offset_commits_total",
			Help: "Partition offsets committed by OffsetCommit, and by TxnOffsetCommit once the transaction commits (Kafka: offset-commit-count)."}),
	}
	reg.MustRegister(m.requests, m.requestLatency, m.bytesIn, m.bytesOut, m.recordsIn, m.topicBytesIn,
		m.connsActive, m.connsTotal, m.connsRejected, m.auth, m.reauths, m.expiredKills, m.authzDecisions,
		m.offsetCommits, &groupCollector{m: m})
	return m
}

// attach makes the state collectors read b.
func (m *Metrics) attach(b *Broker) {
	if m != nil {
		m.broker.Store(b)
	}
}

func (m *Metrics) request(key, version int16, d time.Duration) {
	if m == nil {
		return
	}
	if key < 0 || int(key) >= len(m.reqCells) || version < 0 || version >= maxVersions {
		name := kmsg.NameForKey(key)
		m.requests.WithLabelValues(name, strconv.Itoa(int(version))).Inc()
		m.requestLatency.WithLabelValues(name).Observe(d.Seconds())
		return
	}
	m.reqCells[key][version].get(func() prometheus.Counter {
		return m.requests.WithLabelValues(kmsg.NameForKey(key), strconv.Itoa(int(version)))
	}).Inc()
	m.latCells[key].get(func() prometheus.Observer {
		return m.requestLatency.WithLabelValues(kmsg.NameForKey(key))
	}).Observe(d.Seconds())
}

// listenerMetrics are the children of one listener.
type listenerMetrics struct {
	bytesIn, bytesOut, connsTotal prometheus.Counter
	connsActive                   prometheus.Gauge
}

func (m *Metrics) forListener(name string) *listenerMetrics {
	if m == nil {
		return nil
	}
	return &listenerMetrics{
		bytesIn:     m.bytesIn.WithLabelValues(name),
		bytesOut:    m.bytesOut.WithLabelValues(name),
		connsTotal:  m.connsTotal.WithLabelValues(name),
		connsActive: m.connsActive.WithLabelValues(name),
	}
}

func (lm *listenerMetrics) in(n int) {
	if lm != nil {
		lm.bytesIn.Add(float64(n))
	}
}

func (lm *listenerMetrics) out(n int) {
	if lm != nil {
		lm.bytesOut.Add(float64(n))
	}
}

func (lm *listenerMetrics) opened() {
	if lm != nil {
		lm.connsActive.Inc()
		lm.connsTotal.Inc()
	}
}

func (lm *listenerMetrics) closed() {
	if lm != nil {
		lm.connsActive.Dec()
	}
}

// topicMetrics are the children of one topic, shared by its generations.
type topicMetrics struct {
	records, bytes prometheus.Counter
}

func (m *Metrics) forTopic(name string) *topicMetrics {
	if m == nil {
		return nil
	}
	return &topicMetrics{records: m.recordsIn.WithLabelValues(name), bytes: m.topicBytesIn.WithLabelValues(name)}
}

func (tm *topicMetrics) appended(records, bytes int) {
	if tm != nil {
		tm.records.Add(float64(records))
		tm.bytes.Add(float64(bytes))
	}
}

// topicDeleted drops the series of a deleted topic, as Kafka removes its
// BrokerTopicMetrics.
func (m *Metrics) topicDeleted(name string) {
	if m != nil {
		m.recordsIn.DeleteLabelValues(name)
		m.topicBytesIn.DeleteLabelValues(name)
	}
}

func (m *Metrics) connRejected(l string) {
	if m != nil {
		m.connsRejected.WithLabelValues(l).Inc()
	}
}

// Results and bounded reasons of the authentication counters.
const (
	resultSuccess = "success"
	resultFailure = "failure"

	reasonNone                   = ""
	reasonInvalidCredentials     = "invalid_credentials"     // the mechanism rejected the exchange
	reasonPrincipal              = "principal"               // the principal builder refused the identity
	reasonPrincipalChanged       = "principal_changed"       // re-authentication as someone else
	reasonMechanismChanged       = "mechanism_changed"       // re-authentication with another mechanism
	reasonUnsupportedMechanism   = "unsupported_mechanism"   // SaslHandshake named a mechanism not enabled
	reasonUnauthenticatedRequest = "unauthenticated_request" // a request before authentication completed
	reasonIllegalSaslState       = "illegal_sasl_state"      // another request during the SASL exchange
	reasonInvalidReceiveSize     = "invalid_receive_size"    // a SASL frame over sasl.server.max.receive.size
	reasonTLSHandshake           = "tls_handshake"           // the TLS handshake failed
	reasonAbandoned              = "abandoned"               // the client closed in the middle of the exchange
)

// authResult counts a first authentication.
func (m *Metrics) authResult(listener, mech, result, reason string) {
	if m != nil {
		m.auth.WithLabelValues(listener, mech, result, reason).Inc()
	}
}

// reauth counts a KIP-368 re-authentication.
func (m *Metrics) reauth(listener, mech, result, reason string) {
	if m != nil {
		m.reauths.WithLabelValues(listener, mech, result, reason).Inc()
	}
}

func (m *Metrics) expiredKilled(listener string) {
	if m != nil {
		m.expiredKills.WithLabelValues(listener).Inc()
	}
}

func (m *Metrics) decision(op az.Operation, rt az.ResourceType, allowed bool) {
	if m == nil {
		return
	}
	d := 0
	if allowed {
		d = 1
	}
	if op < 0 || int(op) >= numOps || rt < 0 || int(rt) >= numResourceTypes {
		m.authzDecisions.WithLabelValues(op.String(), rt.String(), decisionNames[d]).Inc()
		return
	}
	m.authzCells[op][rt][d].get(func() prometheus.Counter {
		return m.authzDecisions.WithLabelValues(op.String(), rt.String(), decisionNames[d])
	}).Inc()
}

var decisionNames = [2]string{"deny", "allow"}

func (m *Metrics) offsetsCommitted(n int) {
	if m != nil && n > 0 {
		m.offsetCommits.Add(float64(n))
	}
}

// groupCollector reports the consumer groups by state and their committed
// offsets at scrape time, from the group coordinator.
type groupCollector struct{ m *Metrics }

var (
	groupsDesc = prometheus.NewDesc("minikafka_consumer_groups",
		"Consumer groups by state (Kafka: NumGroups, NumGroupsStable, NumGroupsEmpty, ...).", []string{"state"}, nil)
	offsetsDesc = prometheus.NewDesc("minikafka_committed_offsets",
		"Committed offsets held, over every group and partition (Kafka: NumOffsets).", nil, nil)
	offsetDesc = prometheus.NewDesc("minikafka_consumer_group_committed_offset",
		"Committed offset of each group, topic and partition: one series per committed partition, gone with the group or offset.",
		[]string{"group", "topic", "partition"}, nil)
)

// Describe implements prometheus.Collector.
func (gc *groupCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- groupsDesc
	ch <- offsetsDesc
	ch <- offsetDesc
}

// Collect implements prometheus.Collector.
func (gc *groupCollector) Collect(ch chan<- prometheus.Metric) {
	b := gc.m.broker.Load()
	if b == nil {
		return
	}
	type committed struct {
		group, topic string
		partition    int32
		offset       int64
	}
	var byState [len(groupStateNames)]int
	var offsets []committed
	c := b.groups
	c.mu.Lock() // copied under the lock, sent after: a slow scrape never holds up the coordinator
	for _, g := range c.groups {
		byState[g.state]++
		for topic, parts := range g.offsets {
			for p, o := range parts {
				offsets = append(offsets, committed{g.id, topic, p, o.offset})
			}
		}
	}
	c.mu.Unlock()
	for _, o := range offsets {
		ch <- prometheus.MustNewConstMetric(offsetDesc, prometheus.GaugeValue, float64(o.offset), o.group, o.topic, strconv.Itoa(int(o.partition)))
	}
	for s, n := range byState {
		ch <- prometheus.MustNewConstMetric(groupsDesc, prometheus.GaugeValue, float64(n), groupStateNames[s])
	}
	ch <- prometheus.MustNewConstMetric(offsetsDesc, prometheus.GaugeValue, float64(len(offsets)))
}
