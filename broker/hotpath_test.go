package broker

// Benchmarks and allocation tests of the produce and fetch hot paths, from
// a request frame as read off the socket to the response frame queued for
// the writer (decode, handler, log, encode). Run:
//
//	go test -run '^$' -bench 'Produce|Fetch' -benchmem ./broker

import (
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/minikafka/minikafka/storage"
	"github.com/minikafka/minikafka/storage/mem"
)

const hotTopic = "bench"

// hotBroker is a broker with metrics on (the default) and a 3-partition
// topic, not listening: frames are handed to a conn directly.
func hotBroker(tb testing.TB) *Broker {
	tb.Helper()
	b, err := New(Config{
		Listeners: []ListenerConfig{{Name: "PLAINTEXT", Addr: "127.0.0.1:0", SecurityProtocol: Plaintext}},
		Logs:      mem.LogFactory{},
		Metrics:   NewMetrics(prometheus.NewRegistry()),
	})
	if err != nil {
		tb.Fatal(err)
	}
	if _, _, err := b.topics.create(hotTopic, 3, nil); err != nil {
		tb.Fatal(err)
	}
	return b
}

// hotConn is an authenticated PLAINTEXT connection whose responses are
// drained (and their frames recycled) by a goroutine, as writeLoop would.
func hotConn(tb testing.TB, b *Broker) *conn {
	tb.Helper()
	c := &conn{b: b, l: &listener{cfg: &b.cfg.Listeners[0]}, host: "127.0.0.1",
		out: make(chan outMsg, 64), done: make(chan struct{}), state: stateAuthenticated}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for m := range c.out {
			if m.vec != nil {
				m.vec.Buffers()
			}
			m.recycle()
		}
	}()
	tb.Cleanup(func() { close(c.out); <-drained })
	return c
}

// recordBatch encodes a valid magic-v2 batch of n records of size-byte
// values (no key, no headers, not idempotent).
func recordBatch(n, size int) []byte {
	value := make([]byte, size)
	var recs, rec []byte
	for i := 0; i < n; i++ {
		rec = append(rec[:0], 0)                  // attributes
		rec = kbin.AppendVarlong(rec, int64(i))   // timestamp delta
		rec = kbin.AppendVarint(rec, int32(i))    // offset delta
		rec = kbin.AppendVarint(rec, -1)          // null key
		rec = kbin.AppendVarint(rec, int32(size)) // value
		rec = append(rec, value...)
		rec = kbin.AppendVarint(rec, 0) // headers
		recs = kbin.AppendVarint(recs, int32(len(rec)))
		recs = append(recs, rec...)
	}
	rb := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1, Magic: 2, LastOffsetDelta: int32(n - 1),
		FirstTimestamp: 1_700_000_000_000, MaxTimestamp: 1_700_000_000_000 + int64(n-1),
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1, NumRecords: int32(n), Records: recs,
	}
	b := rb.AppendTo(nil)
	binary.BigEndian.PutUint32(b[8:], uint32(len(b)-12))
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], crc32c))
	return b
}

// requestFrame encodes req (version set) as a request frame without its
// size prefix, as ReadFrame returns it.
func requestFrame(req kmsg.Request) []byte {
	f := binary.BigEndian.AppendUint16(nil, uint16(req.Key()))
	f = binary.BigEndian.AppendUint16(f, uint16(req.GetVersion()))
	f = binary.BigEndian.AppendUint32(f, 1)
	f = binary.BigEndian.AppendUint16(f, 5)
	f = append(f, "bench"...)
	if req.IsFlexible() {
		f = append(f, 0)
	}
	return req.AppendTo(f)
}

// produceFrame is a Produce v9 request carrying one batch of n records
// per partition.
func produceFrame(n, size int) []byte {
	req := kmsg.NewPtrProduceRequest()
	req.Version = 9
	req.Acks = -1
	req.TimeoutMillis = 30000
	t := kmsg.NewProduceRequestTopic()
	t.Topic = hotTopic
	for p := int32(0); p < 3; p++ {
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Partition = p
		rp.Records = recordBatch(n, size)
		t.Partitions = append(t.Partitions, rp)
	}
	req.Topics = append(req.Topics, t)
	return requestFrame(req)
}

// fetchFrame is a Fetch v12 request of the three partitions from offset 0.
func fetchFrame() []byte {
	req := kmsg.NewPtrFetchRequest()
	req.Version = 12
	req.ReplicaID = -1
	req.MaxWaitMillis = 0
	req.MinBytes = 1
	req.MaxBytes = 50 << 20
	req.SessionEpoch = -1
	t := kmsg.NewFetchRequestTopic()
	t.Topic = hotTopic
	for p := int32(0); p < 3; p++ {
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = p
		rp.PartitionMaxBytes = 1 << 20
		t.Partitions = append(t.Partitions, rp)
	}
	req.Topics = append(req.Topics, t)
	return requestFrame(req)
}

func handle(tb testing.TB, c *conn, frame []byte) {
	if !c.handleFrame(frame) {
		tb.Fatal("handleFrame closed the connection")
	}
}

func benchmarkProduce(b *testing.B, n, size int) {
	br := hotBroker(b)
	c := hotConn(b, br)
	frame := produceFrame(n, size)
	b.SetBytes(int64(3 * n * size))
	b.ReportAllocs()
	for b.Loop() {
		handle(b, c, frame)
	}
	b.ReportMetric(float64(b.N*3*n)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkProduce: one Produce request of 3 batches (one per partition).
func BenchmarkProduce(b *testing.B) {
	b.Run("3x1000x100B", func(b *testing.B) { benchmarkProduce(b, 1000, 100) })
	b.Run("3x10x10KB", func(b *testing.B) { benchmarkProduce(b, 10, 10240) })
}

func benchmarkFetch(b *testing.B, batches, n, size int) {
	br := hotBroker(b)
	c := hotConn(b, br)
	for i := 0; i < batches; i++ {
		handle(b, c, produceFrame(n, size))
	}
	frame := fetchFrame()
	b.SetBytes(int64(3 * batches * n * size))
	b.ReportAllocs()
	for b.Loop() {
		handle(b, c, frame)
	}
	b.ReportMetric(float64(b.N*3*batches*n)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkFetch: one Fetch request of the three partitions, each holding
// the given batches (all returned: they fit in 1 MiB).
func BenchmarkFetch(b *testing.B) {
	b.Run("3x1x1000x100B", func(b *testing.B) { benchmarkFetch(b, 1, 1000, 100) })
	b.Run("3x8x1000x100B", func(b *testing.B) { benchmarkFetch(b, 8, 1000, 100) })
	b.Run("3x1x10x10KB", func(b *testing.B) { benchmarkFetch(b, 1, 10, 10240) })
}

// TestProduceAllocationsDoNotGrowWithRecords checks that produce does no
// per-record work that allocates: a request of 1000-record batches
// allocates no more than one of 1-record batches.
func TestProduceAllocationsDoNotGrowWithRecords(t *testing.T) {
	allocs := func(n int) float64 {
		br := hotBroker(t)
		c := hotConn(t, br)
		frame := produceFrame(n, 100)
		handle(t, c, frame) // the producer's first append creates state
		return testing.AllocsPerRun(200, func() { handle(t, c, frame) })
	}
	one, many := allocs(1), allocs(1000)
	if many > one+0.5 {
		t.Fatalf("a produce of 3×1000 records allocates %.1f times, of 3×1 record %.1f times: something allocates per record", many, one)
	}
	t.Logf("allocations per produce request: %.1f (1-record batches), %.1f (1000-record batches)", one, many)
}

// TestFetchAllocationsDoNotGrowWithRecords checks the same for fetch, and
// that the batches are referenced, not copied: the allocated bytes do not
// grow with the size of the batches returned.
func TestFetchAllocationsDoNotGrowWithRecords(t *testing.T) {
	allocs := func(n int) float64 {
		br := hotBroker(t)
		c := hotConn(t, br)
		handle(t, c, produceFrame(n, 100))
		frame := fetchFrame()
		handle(t, c, frame)
		return testing.AllocsPerRun(200, func() { handle(t, c, frame) })
	}
	one, many := allocs(1), allocs(1000)
	if many > one+0.5 {
		t.Fatalf("a fetch of 3×1000 records allocates %.1f times, of 3×1 record %.1f times: something allocates per record", many, one)
	}
	t.Logf("allocations per fetch request: %.1f (1-record batches), %.1f (1000-record batches)", one, many)
}

// TestFetchResponseReferencesStoredBatches checks that a fetch response
// frame carries the stored batch itself (by reference) and still decodes
// to the records produced.
func TestFetchResponseReferencesStoredBatches(t *testing.T) {
	br := hotBroker(t)
	c := &conn{b: br, l: &listener{cfg: &br.cfg.Listeners[0]}, host: "127.0.0.1",
		out: make(chan outMsg, 8), done: make(chan struct{}), state: stateAuthenticated}
	handle(t, c, produceFrame(1000, 100))
	<-c.out // produce response
	handle(t, c, fetchFrame())
	m := <-c.out
	if m.vec == nil {
		t.Fatal("fetch response was not a vector frame")
	}
	stored := map[*byte]bool{}
	for _, p := range br.topics.get(hotTopic).partitions {
		_ = p.log.Read(0, p.log.EndOffset(), 1<<20, func(bt *storage.Batch) bool {
			stored[&bt.Data[0]] = true
			return true
		})
	}
	var frame []byte
	refs := 0
	for _, b := range m.vec.Buffers() {
		if stored[&b[0]] {
			refs++
		}
		frame = append(frame, b...)
	}
	if refs != 3 {
		t.Fatalf("%d of 3 stored batches referenced by the response", refs)
	}
	resp := kmsg.NewPtrFetchResponse()
	resp.Version = 12
	if int(binary.BigEndian.Uint32(frame)) != len(frame)-4 {
		t.Fatalf("size prefix %d, frame %d bytes", binary.BigEndian.Uint32(frame), len(frame)-4)
	}
	if err := resp.ReadFrom(frame[9:]); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, tp := range resp.Topics {
		for _, p := range tp.Partitions {
			var rb kmsg.RecordBatch
			if err := rb.ReadFrom(p.RecordBatches); err != nil {
				t.Fatal(err)
			}
			total += int(rb.NumRecords)
		}
	}
	if total != 3000 {
		t.Fatalf("fetched %d records, want 3000", total)
	}
	m.recycle()
}
