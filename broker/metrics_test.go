package broker

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kmsg"

	az "github.com/minikafka/minikafka/authorizer"
	"github.com/minikafka/minikafka/storage/recordbatch/batchtest"
)

// TestMetricsLint gives every broker metric a value (through a real broker
// for the state collectors), then lints the whole registry with
// client_golang's promlint and checks that every registered family was
// gathered, so that the lint saw all of them.
func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	b, addr := startBroker(t, func(c *Config) { c.Metrics = m })
	cl := newClient(t, addr)
	createTopic(t, cl, "lint", 1, nil)
	produceRecs(t, cl, "lint", 0, batchtest.Options{}, 1, 2, 3)
	commit := kmsg.NewPtrOffsetCommitRequest()
	commit.Group, commit.Generation = "lint-group", -1
	ct := kmsg.NewOffsetCommitRequestTopic()
	ct.Topic = "lint"
	cp := kmsg.NewOffsetCommitRequestTopicPartition()
	cp.Offset = 3
	ct.Partitions = append(ct.Partitions, cp)
	commit.Topics = append(commit.Topics, ct)
	if resp := request[*kmsg.OffsetCommitResponse](t, cl, commit); resp.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("OffsetCommit: error %d", resp.Topics[0].Partitions[0].ErrorCode)
	}
	// What a PLAINTEXT broker without limits or authorization never does.
	m.connRejected("PLAINTEXT")
	m.authResult("PLAINTEXT", "PLAIN", resultFailure, reasonInvalidCredentials)
	m.reauth("PLAINTEXT", "PLAIN", resultSuccess, reasonNone)
	m.expiredKilled("PLAINTEXT")
	m.decision(az.OpWrite, az.ResourceTopic, true)

	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	gathered := map[string]bool{}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		gathered[mf.GetName()] = true
	}
	for _, name := range describedNames(t, m) {
		if !gathered[name] {
			t.Errorf("%s was registered but not gathered: give it a value in this test", name)
		}
	}
	if got := testutil.ToFloat64(m.recordsIn.WithLabelValues("lint")); got != 3 {
		t.Errorf("records in: %v, want 3", got)
	}
	if got := testutil.ToFloat64(m.offsetCommits); got != 1 {
		t.Errorf("offset commits: %v, want 1", got)
	}
	want := `
# HELP minikafka_consumer_group_committed_offset Committed offset of each group, topic and partition: one series per committed partition, gone with the group or offset.
# TYPE minikafka_consumer_group_committed_offset gauge
minikafka_consumer_group_committed_offset{group="lint-group",partition="0",topic="lint"} 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "minikafka_consumer_group_committed_offset"); err != nil {
		t.Error(err)
	}
	if !b.topics.delete("lint") {
		t.Fatal("topic lint not deleted")
	}
	if n := testutil.CollectAndCount(m.recordsIn); n != 1 { // __consumer_offsets (OffsetCommit created it) stays
		t.Errorf("%d records-in series after deleting topic lint, want 1", n)
	}
}

// describedNames returns the family names m registers.
func describedNames(t *testing.T, m *Metrics) []string {
	t.Helper()
	rec := &recordingRegisterer{}
	NewMetrics(rec)
	return rec.names
}

type recordingRegisterer struct{ names []string }

func (r *recordingRegisterer) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		s := d.String()
		_, rest, _ := strings.Cut(s, `fqName: "`)
		name, _, _ := strings.Cut(rest, `"`)
		r.names = append(r.names, name)
	}
	return nil
}

func (r *recordingRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		_ = r.Register(c)
	}
}

func (r *recordingRegisterer) Unregister(prometheus.Collector) bool { return false }

// TestMetricsHotPathNoAllocs holds the per-request recording to zero
// allocations once a label child is cached.
func TestMetricsHotPathNoAllocs(t *testing.T) {
	m := NewMetrics(prometheus.NewRegistry())
	lm := m.forListener("L")
	tm := m.forTopic("t")
	cases := map[string]func(){
		"request":  func() { m.request(0, 9, time.Millisecond) },
		"decision": func() { m.decision(az.OpWrite, az.ResourceTopic, true) },
		"bytes":    func() { lm.in(100); lm.out(100) },
		"records":  func() { tm.appended(10, 1000) },
	}
	for name, f := range cases {
		f() // caches the children
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations per call", name, n)
		}
	}
}

// BenchmarkProduceMetrics is BenchmarkProduce with the metrics on (as
// hotBroker) and off, on requests small enough for the per-request cost of
// the metrics to show: compare the ns/op of the two.
func BenchmarkProduceMetrics(b *testing.B) {
	for _, on := range []bool{true, false} {
		name := "on"
		if !on {
			name = "off"
		}
		for _, shape := range []struct {
			parts int32
			n     int
		}{{1, 1}, {1, 10}, {3, 1000}} {
			b.Run(fmt.Sprintf("%s/%dx%dx100B", name, shape.parts, shape.n), func(b *testing.B) {
				br := hotBroker(b)
				if !on {
					br.m = nil
					br.topics.get(hotTopic).m = nil
				}
				c := hotConn(b, br)
				w := newHotWire(c, hotProduceFrameParts(shape.parts, shape.n, 100))
				partitions := br.topics.get(hotTopic).partitions
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					w.next(b)
					if i%256 == 255 {
						for _, p := range partitions {
							_ = p.log.DeleteBefore(p.log.EndOffset())
						}
					}
				}
			})
		}
	}
}

// BenchmarkMetricsPerProduce is what the metrics add to one Produce
// request of one partition with authorization on: the request count and
// latency, bytes in and out, the records and bytes of the topic, one
// authorization decision.
func BenchmarkMetricsPerProduce(b *testing.B) {
	m := NewMetrics(prometheus.NewRegistry())
	lm := m.forListener("L")
	tm := m.forTopic("t")
	b.ReportAllocs()
	for b.Loop() {
		m.request(0, 9, 3*time.Microsecond)
		lm.in(1200)
		m.decision(az.OpWrite, az.ResourceTopic, true)
		tm.appended(10, 1100)
		lm.out(80)
	}
}
