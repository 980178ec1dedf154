package broker

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/storage/recordbatch/batchtest"
)

// TestRetention drives housekeeping's retention pass with an injected
// clock: per-topic retention.ms and retention.bytes (set at creation and
// changed at run time) and the broker default.
func TestRetention(t *testing.T) {
	var nowMs atomic.Int64
	nowMs.Store(10_000_000)
	b, addr := startBroker(t, func(c *Config) {
		c.Now = func() time.Time { return time.UnixMilli(nowMs.Load()) }
		c.RetentionMs = 3_600_000 // log.retention.ms: one hour
	})
	cl := newClient(t, addr)
	createTopic(t, cl, "timed", 1, map[string]string{"retention.ms": "60000"})
	createTopic(t, cl, "sized", 1, nil)
	createTopic(t, cl, "forever", 1, map[string]string{"retention.ms": "-1"})
	createTopic(t, cl, "default", 1, nil)
	createTopic(t, cl, "huge", 1, map[string]string{"retention.ms": "9223372036854775807"})
	now := nowMs.Load()
	for _, topic := range []string{"timed", "forever", "default", "huge"} {
		produceRecs(t, cl, topic, 0, batchtest.Options{}, now-7_200_000, now-7_100_000) // 0-1: two hours old
		produceRecs(t, cl, topic, 0, batchtest.Options{}, now-120_000)                  // 2: two minutes old
		produceRecs(t, cl, topic, 0, batchtest.Options{}, now-10_000)                   // 3: recent
	}
	var sizes []int64
	for i := 0; i < 4; i++ {
		produceRecs(t, cl, "sized", 0, batchtest.Options{}, now)
		sizes = append(sizes, b.topics.partition("sized", 0).log.Size())
	}
	start := func(topic string) int64 { return b.topics.partition(topic, 0).log.StartOffset() }

	b.topics.retain()
	for topic, want := range map[string]int64{"timed": 3, "forever": 0, "default": 2, "sized": 0, "huge": 0} {
		if got := start(topic); got != want {
			t.Errorf("%s: log start %d after retention, want %d", topic, got, want)
		}
	}

	// retention.bytes set at run time: keep at least two batches' worth.
	raw := dialRaw(t, addr)
	keep := sizes[1] // the size of two batches
	alter := func(topic string, ops ...iop) {
		t.Helper()
		resp := rawRequest[*kmsg.IncrementalAlterConfigsResponse](raw, incReq(false, incResource(kmsg.ConfigResourceTypeTopic, topic, ops...)))
		if code := resp.Resources[0].ErrorCode; code != 0 {
			t.Fatalf("alter %s: %d %v", topic, code, errMsg(resp.Resources[0].ErrorMessage))
		}
	}
	alter("sized", set("retention.bytes", itoa(keep)))
	b.topics.retain()
	if got, size := start("sized"), b.topics.partition("sized", 0).log.Size(); got != 2 || size < keep {
		t.Errorf("sized: start %d size %d, want 2 and at least %d bytes kept", got, size, keep)
	}

	// Time passes: the recent batch expires too and the log empties, its
	// start offset at the end, as Kafka rolls and deletes the active segment.
	nowMs.Add(61_000)
	b.topics.retain()
	if p := b.topics.partition("timed", 0); p.log.StartOffset() != 4 || p.log.EndOffset() != 4 || p.log.Size() != 0 {
		t.Errorf("timed: start %d end %d size %d, want an empty log at 4", p.log.StartOffset(), p.log.EndOffset(), p.log.Size())
	}
	// A shorter retention.ms set at run time applies on the next pass.
	alter("default", set("retention.ms", "100000"))
	b.topics.retain()
	if got := start("default"); got != 3 {
		t.Errorf("default after retention.ms=100000: start %d, want 3", got)
	}
	if got := start("forever"); got != 0 {
		t.Errorf("forever: start %d, want 0", got)
	}
	// Fetching below the new start is out of range; at it, it works.
	fr := kmsg.NewPtrFetchRequest()
	fr.MaxBytes, fr.MinBytes = 1<<20, 1
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic = "default"
	fp := kmsg.NewFetchRequestTopicPartition()
	fp.PartitionMaxBytes = 1 << 20
	ft.Partitions = append(ft.Partitions, fp)
	fr.Topics = append(fr.Topics, ft)
	if got := rawRequest[*kmsg.FetchResponse](raw, fr).Topics[0].Partitions[0]; got.ErrorCode != 1 || got.LogStartOffset != 3 {
		t.Errorf("fetch at 0 after retention: error %d log start %d, want 1 and 3", got.ErrorCode, got.LogStartOffset)
	}
}
